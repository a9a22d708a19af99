// The Node flags the engine's process starts with: the `dockmirror` bin's shebang and the npm
// scripts pass them, and the benchmark starts its engine child with them.
//
// A streaming mirror drops a 64 KiB socket buffer and a 64 KiB parser copy for every chunk it
// relays. Their memory is freed only when V8 collects the small objects that hold them, and
// under a fast stream V8 grows its young generation to 16 MiB semi-spaces, so tens of MiB of
// dead buffers pile up between collections. With 1 MiB semi-spaces a scavenge comes every few
// MiB of traffic: in the benchmark, eight clients on a cold 1 GiB blob peaked at 92-96 MiB RSS
// instead of 100-114 MiB, for no measurable loss of throughput or manifest requests per second.
//
// More objects then live long enough to reach the old generation, and under 200 concurrent
// clients V8 grew it to ~30 MiB for ~7 MiB of live objects and kept it after collecting.
// --optimize-for-size makes V8 grow and keep less: the 200-client load peaked at 97-103 MiB
// instead of ~125-140 MiB, and the 1 GiB stream at 81-87 MiB, again at no cost the benchmark
// could measure.
//
// --expose-gc lets the engine start a scavenge every few MiB read from upstream sockets
// (scavenge-pacer.ts): V8 itself waits until 32 MiB of those dead buffers are outstanding.
//
// The app (desktop and headless) runs the engine in a process of its own with these flags as
// its execArgv (main/engine-process/): Electron's main process takes V8 flags only on its own
// command line.
export const engineNodeFlags: readonly string[] = ['--max-semi-space-size=1', '--optimize-for-size', '--expose-gc'];
