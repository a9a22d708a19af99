// One import for the mirror tests: every real-client harness.
export * from './containerd.js';
export * from './dockerd.js';
export * from './image-check.js';
export * from './lan-host.js';
export * from './process.js';
export * from './recording-proxy.js';
export * from './skopeo.js';
export * from './tar-entries.js';
export * from './stale-sweep.js';
export * from './podman.js';
