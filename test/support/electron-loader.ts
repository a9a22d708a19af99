// Module hook for the wiring test's child process: `electron` resolves to the stand-in module,
// for electron-main.js and for electron-store alike.
const stub = new URL('./electron-stub.js', import.meta.url).href;

type Next = (specifier: string, context: unknown) => Promise<{ url: string }>;

export async function resolve(specifier: string, context: unknown, next: Next): Promise<{ url: string; shortCircuit?: boolean }> {
  if (specifier === 'electron') return { url: stub, shortCircuit: true };
  return next(specifier, context);
}
