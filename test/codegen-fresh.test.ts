import { describe, expect, it } from 'vitest';
import { generate, staleFiles } from '../codegen/main.js';

describe('codegen', () => {
  it('generated/ matches what codegen writes from sql/ now (run `npm run codegen` if this fails)', async () => {
    const files = await generate();
    expect(files.size).toBeGreaterThan(1);
    expect(staleFiles(files)).toEqual([]);
  });
});
