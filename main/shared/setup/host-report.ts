// What a setup script tells the mirror at its end, read strictly: every field is short printable
// text, since it is shown in the window and the tray and kept in the app's data folder.
import type { HostRouteEvent } from '../../../mirror/public-types.js';
import { setupRuntimes, type SetupRuntime } from './runtime-scripts.js';

/** The HostRouteEvent name a setup report travels under. */
export const setupReportEvent = 'setup-report';

export interface HostReport {
  client: string;
  /** Whether the allowlist serves the client (a refused host is listed with the fix). */
  allowed: boolean;
  hostname: string;
  runtime: SetupRuntime;
  version: string;
  /** The files the script changed, space-separated; empty when nothing needed changing. */
  configured: string;
  /** Set when the script wrote under another root (an image build), not the host's own /etc. */
  root: string;
  /** The HTTP status the host got for /v2/, or 000 when it could not connect. */
  check: string;
}

const maxField = 200;

function clean(value: string | null): string {
  // Control characters would let a host write lines of its own into the log or the tray.
  return (value ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim().slice(0, maxField);
}

export function parseHostReport(body: Uint8Array, client: string, allowed: boolean): { ok: true; value: HostReport } | { ok: false; message: string } {
  const fields = new URLSearchParams(new TextDecoder().decode(body));
  const runtime = fields.get('runtime') ?? '';
  if (!(setupRuntimes as readonly string[]).includes(runtime)) return { ok: false, message: `The report names no runtime this mirror knows (${setupRuntimes.join(', ')}).` };
  const check = clean(fields.get('check'));
  return {
    ok: true,
    value: {
      client,
      allowed,
      hostname: clean(fields.get('hostname')),
      runtime: runtime as SetupRuntime,
      version: clean(fields.get('version')),
      configured: clean(fields.get('configured')),
      root: clean(fields.get('root')),
      check: /^\d{3}$/.test(check) ? check : '000',
    },
  };
}

/** The report's fields as the event's detail (client and allowed travel in the event itself). */
export function reportDetail(report: HostReport): Record<string, string> {
  const { client: _client, allowed: _allowed, ...detail } = report;
  return detail;
}

/** The report an event carries, checked again: it may have crossed a process boundary. */
export function hostReportFromEvent(event: HostRouteEvent): HostReport | null {
  if (event.name !== setupReportEvent) return null;
  const parsed = parseHostReport(new TextEncoder().encode(new URLSearchParams(event.detail).toString()), event.client, event.allowed);
  return parsed.ok ? parsed.value : null;
}
