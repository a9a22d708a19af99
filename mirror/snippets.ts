// Configuration snippets that point a host's container runtime at the mirror. Pure functions:
// the CLI prints them, the window shows them; nothing here touches the disk or the network.

/** The `/etc/docker/daemon.json` body that makes dockerd pull docker.io images through the mirror. */
export function daemonJsonSnippet(mirrorUrls: string[]): string {
  return JSON.stringify({ 'registry-mirrors': mirrorUrls }, null, 2);
}
