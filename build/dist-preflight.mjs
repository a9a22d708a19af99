#!/usr/bin/env node
// First step of `npm run dist`: checks what the installers need before anything is built, and
// says in plain sentences what will and will not be signed. electron-builder reads the signing
// and notarization identities from the environment itself; this names the variables it found,
// never their values, so a CI log shows what happened without showing a secret.
//   node build/dist-preflight.mjs
import { fileURLToPath } from 'node:url';

const minimumNode = [22, 12, 0];

/** A sentence when this Node cannot build the installers, else null. */
export function distNodeProblem(version) {
  const parts = version.replace(/^v/, '').split('.').map(Number);
  for (let i = 0; i < minimumNode.length; i++) {
    if ((parts[i] ?? 0) > minimumNode[i]) return null;
    if ((parts[i] ?? 0) < minimumNode[i]) {
      return (
        `npm run dist needs Node ${minimumNode.slice(0, 2).join('.')} or newer, as electron-builder rebuilds keytar for ` +
        `Electron with @electron/rebuild, which requires it; this is Node ${version.replace(/^v/, '')} ` +
        '(the CLI and the headless mode still run on Node 20).'
      );
    }
  }
  return null;
}

const notarizationSets = [
  ['APPLE_API_KEY', 'APPLE_API_KEY_ID', 'APPLE_API_ISSUER'],
  ['APPLE_ID', 'APPLE_APP_SPECIFIC_PASSWORD', 'APPLE_TEAM_ID'],
  ['APPLE_KEYCHAIN', 'APPLE_KEYCHAIN_PROFILE'],
];

const isSet = (env, name) => typeof env[name] === 'string' && env[name] !== '';

function macSigning(env) {
  const lines = [];
  const problems = [];
  if (isSet(env, 'CSC_LINK')) lines.push(`macOS: signing with the certificate in CSC_LINK${isSet(env, 'CSC_KEY_PASSWORD') ? ' (password in CSC_KEY_PASSWORD)' : ''}.`);
  else if (isSet(env, 'CSC_NAME')) lines.push('macOS: signing with the keychain identity named in CSC_NAME.');
  else if (env.CSC_IDENTITY_AUTO_DISCOVERY === 'false') lines.push('macOS: not signing (CSC_IDENTITY_AUTO_DISCOVERY=false); Gatekeeper will block the app.');
  else lines.push('macOS: signing with a "Developer ID Application" identity from the keychain if there is one, else unsigned.');
  const complete = notarizationSets.find((set) => set.every((name) => isSet(env, name)));
  const partial = notarizationSets.find((set) => set.some((name) => isSet(env, name)) && !set.every((name) => isSet(env, name)));
  if (complete) lines.push(`macOS: notarizing with ${complete.join(', ')}.`);
  else if (partial) problems.push(`Notarization needs all of ${partial.join(', ')}; ${partial.filter((name) => !isSet(env, name)).join(', ')} is not set.`);
  else lines.push('macOS: not notarizing (set APPLE_API_KEY, APPLE_API_KEY_ID and APPLE_API_ISSUER to notarize).');
  return { lines, problems };
}

function windowsSigning(env) {
  const link = ['WIN_CSC_LINK', 'CSC_LINK'].find((name) => isSet(env, name));
  if (!link) return { lines: ['Windows: not signing (set WIN_CSC_LINK and WIN_CSC_KEY_PASSWORD); SmartScreen will warn on install.'], problems: [] };
  const password = ['WIN_CSC_KEY_PASSWORD', 'CSC_KEY_PASSWORD'].find((name) => isSet(env, name));
  return { lines: [`Windows: signing with the certificate in ${link}${password ? ` (password in ${password})` : ''}.`], problems: [] };
}

/** What the installers built on this OS will carry, from the names of the variables set. */
export function signingReport(platform, env) {
  if (platform === 'darwin') return macSigning(env);
  if (platform === 'win32') return windowsSigning(env);
  return { lines: ['Linux: the deb and the AppImage are not signed (apt trusts the repository that serves a deb, not the file).'], problems: [] };
}

function main() {
  const problem = distNodeProblem(process.version);
  if (problem) {
    process.stderr.write(`${problem}\n`);
    return 1;
  }
  const { lines, problems } = signingReport(process.platform, process.env);
  for (const line of lines) process.stderr.write(`${line}\n`);
  for (const line of problems) process.stderr.write(`${line}\n`);
  return problems.length > 0 ? 1 : 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main();
