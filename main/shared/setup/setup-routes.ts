// The `/setup` routes a host (the CLI, the app's engine process) adds to the mirror's port: an
// index, one script per runtime, the daemon.json merge the docker script posts to, and the report
// each script sends at its end. Built on the engine's HostRoutes hook; nothing here reads a secret.
import type { HostRouteReply, HostRouteRequest, HostRoutes } from '../../../mirror/public-types.js';
import { mergeDaemonJson } from '../snippets.js';
import { scriptMirrorUrl } from './mirror-host.js';
import { parseHostReport, reportDetail, setupReportEvent, type HostReport } from './host-report.js';
import { oneLiner, runtimeScript, setupRuntimes, type SetupRuntime } from './runtime-scripts.js';

export interface SetupRoutesOptions {
  /** The addresses the mirror tells LAN hosts (mirrorAddresses()), without ports. */
  ownAddresses(): string[];
  /** The registries the mirror serves, as clients name them. */
  registries(): string[];
  loginRequired(): boolean;
}

/** daemon.json files are a few KiB; reports a few hundred bytes. */
export const maxSetupBodyBytes = 256 * 1024;

function text(status: number, body: string): HostRouteReply {
  return { status, contentType: 'text/plain; charset=utf-8', body };
}

function isRuntime(name: string): name is SetupRuntime {
  return (setupRuntimes as readonly string[]).includes(name);
}

export function createSetupRoutes(options: SetupRoutesOptions): HostRoutes {
  return {
    prefix: '/setup',
    maxBodyBytes: maxSetupBodyBytes,
    handle: async (request) => route(options, request),
  };
}

function route(options: SetupRoutesOptions, request: HostRouteRequest): HostRouteReply {
  const mirrorUrl = scriptMirrorUrl(request, options.ownAddresses());
  const path = request.path.replace(/\/$/, '');
  const read = request.method === 'GET' || request.method === 'HEAD';
  if (path === '/setup' && read) return text(200, indexText(mirrorUrl));
  const runtime = path.slice('/setup/'.length);
  if (isRuntime(runtime) && read) {
    const script = runtimeScript(runtime, { mirrorUrl, registries: options.registries(), loginRequired: options.loginRequired() });
    return { status: 200, contentType: 'text/x-shellscript; charset=utf-8', body: script };
  }
  if (path === '/setup/docker/merge' && request.method === 'POST') return mergeReply(request.body, mirrorUrl);
  if (path === '/setup/report' && request.method === 'POST') {
    const report = parseHostReport(request.body, request.client, request.allowed);
    if (!report.ok) return text(400, `${report.message}\n`);
    // Announced as a host-route event, so it reaches the app through the engine's event stream.
    return { ...text(200, `${reportAnswer(report.value)}\n`), announce: { name: setupReportEvent, detail: reportDetail(report.value) } };
  }
  if (path === '/setup' || isRuntime(runtime) || path === '/setup/docker/merge' || path === '/setup/report') {
    return { ...text(405, `${request.method.slice(0, 20)} is not supported here.\n`), headers: { allow: path === '/setup/docker/merge' || path === '/setup/report' ? 'POST' : 'GET, HEAD' } };
  }
  return text(404, `No such setup page. ${indexText(mirrorUrl)}`);
}

function indexText(mirrorUrl: string): string {
  const lines = [
    `Dockmirror at ${mirrorUrl}: set up a host with one line, run on that host:`,
    '',
    ...setupRuntimes.map((runtime) => `  ${runtime.padEnd(10)} ${oneLiner(runtime, mirrorUrl)}`),
    '',
    'Each script takes --root DIR (write under DIR instead of /) and --restart (restart the runtime',
    'after a change; otherwise it prints the command). Running it again changes nothing.',
    "Check a script before running it: the mirror's window shows each script's sha256.",
  ];
  return lines.join('\n') + '\n';
}

function mergeReply(body: Buffer, mirrorUrl: string): HostRouteReply {
  let existing: string;
  try {
    existing = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return text(422, 'daemon.json is not UTF-8 text, so it was not changed.\n');
  }
  const merged = mergeDaemonJson(existing, [mirrorUrl]);
  if (!merged.ok) {
    const { line, column, message } = merged.error;
    const sentence = message.replace(/^Line \d+, column \d+: /, '');
    return text(422, `daemon.json, line ${line}, column ${column}: ${sentence}\nThe file was not changed.\n`);
  }
  // A file that names the mirror already is left as it is, even spelled with a trailing slash.
  return merged.added.length > 0 ? { status: 200, contentType: 'application/json; charset=utf-8', body: merged.text } : { status: 204, contentType: 'text/plain', body: '' };
}

function reportAnswer(report: HostReport): string {
  if (report.allowed) return `The mirror now lists ${report.hostname || report.client} as a connected ${report.runtime} host.`;
  const entry = report.client.includes(':') ? `${report.client}/128` : `${report.client}/32`;
  return `The mirror refuses this host's address ${report.client}. Add ${entry} (or this host's network) to the mirror's allowlist: the window's Settings, or --allow on the command line.`;
}
