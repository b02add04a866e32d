// `rrext_services`: the providers sidex runs, in RocketRide's service-definition
// shape (title, protocol, prefix, classType, description, lanes, ...).
import { SidexError } from '../../errors.js';
import { PROVIDER_NAMES, providerOf, SOURCE_LANES } from './providers.js';

export interface ServiceDefinition {
  title: string;
  protocol: string;
  prefix: string;
  classType: string[];
  capabilities: string[];
  description: string[];
  /** `_source` for a source's lanes; else input lane -> lanes it may emit ('*': whatever it reads). */
  lanes: Record<string, string[]>;
  node: 'sidex';
}

const CLASS_TYPE = { source: 'source', transform: 'transform', sink: 'infrastructure' } as const;

function title(name: string): string {
  return name
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}

export function serviceDefinition(name: string): ServiceDefinition | undefined {
  const provider = providerOf(name);
  if (!provider) return undefined;
  const emits = provider.emits({}, []);
  const lanes: Record<string, string[]> = provider.role === 'source' ? { _source: SOURCE_LANES[name] ?? [] } : emits === 'any' || emits.length === 0 ? {} : { '*': emits };
  return {
    title: title(name),
    protocol: `${name}://`,
    prefix: name,
    classType: [CLASS_TYPE[provider.role]],
    capabilities: [],
    description: [provider.description],
    lanes,
    node: 'sidex',
  };
}

/** All definitions (`{services, version}`), or the one named; an unknown name is SERVICE_NOT_FOUND. */
export function serviceDefinitions(service?: string): { services: Record<string, ServiceDefinition>; version: number } | ServiceDefinition {
  if (service === undefined) {
    return { services: Object.fromEntries(PROVIDER_NAMES.map((n) => [n, serviceDefinition(n)!])), version: 1 };
  }
  const one = serviceDefinition(service);
  if (!one) throw new SidexError('SERVICE_NOT_FOUND', `service: '${service}' not found; services: ${PROVIDER_NAMES.join(', ')}`, { field: 'service' });
  return one;
}
