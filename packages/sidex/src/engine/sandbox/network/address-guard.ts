// The allowlist decides by name, but whoever controls an allowed name's DNS
// decides its addresses: `*.example.com` may contain a name that resolves to
// 127.0.0.1 and so reach the sidex server's own loopback services, or to
// 169.254.169.254 and reach cloud instance metadata. The proxy therefore
// resolves each allowed name once, through this lookup, drops such addresses
// and connects to one that survived (no second resolution in between).
//
// Guarded: loopback, unspecified, link-local (IPv4 and IPv6, and their
// IPv4-mapped forms) and the AWS IPv6 metadata address. Private ranges
// (10/8, 172.16/12, 192.168/16, fc00::/7) are NOT guarded: a name the caller
// allowed may point at its internal services. Escapes: an address the
// allowlist names itself as an IP literal (and port), and the names
// `localhost` / `*.localhost`, which ask for loopback by definition.
// IP-literal requests never come here: they are matched and dialed as they are.
import dns from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { normalizeHost, type Allowlist, type NormalHost } from './allowlist.js';

export const ADDRESS_DENIED = 'ESIDEX_ADDRESS_DENIED';

const guarded = new BlockList();
guarded.addSubnet('127.0.0.0', 8, 'ipv4');
guarded.addSubnet('0.0.0.0', 8, 'ipv4');
guarded.addSubnet('169.254.0.0', 16, 'ipv4');
guarded.addAddress('::1', 'ipv6');
guarded.addAddress('::', 'ipv6');
guarded.addSubnet('fe80::', 10, 'ipv6');
guarded.addAddress('fd00:ec2::254', 'ipv6');

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

function check(list: BlockList, address: NormalHost): boolean {
  return list.check(address.host, address.kind === 'ipv6' ? 'ipv6' : 'ipv4');
}

/** Whether an address is one that allowed names may not resolve to. */
export function isGuardedAddress(address: string): boolean {
  const normal = normalizeHost(isIP(address) === 6 ? `[${address}]` : address);
  return normal !== undefined && normal.kind !== 'name' && check(guarded, normal);
}

function isLoopbackName(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * A `lookup` for net.connect / http.request that dials `name:port` only at
 * addresses the guard lets through; when none is left it fails with code
 * ADDRESS_DENIED (the proxy answers 403). `allowlist` is read at dial time.
 */
export function guardedLookup(name: string, port: number, allowlist: () => Allowlist, base: LookupFunction = dns.lookup): LookupFunction {
  return (hostname, options, callback) => {
    base(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const list = Array.isArray(addresses) ? addresses : [{ address: addresses, family: isIP(addresses) }];
      const kept = list.filter((a) => {
        const normal = normalizeHost(a.family === 6 ? `[${a.address}]` : a.address);
        if (!normal || normal.kind === 'name') return false;
        if (!check(guarded, normal)) return true;
        if (isLoopbackName(name) && check(LOOPBACK, normal)) return true;
        return allowlist().allowsNormal(normal, port);
      });
      if (kept.length === 0) {
        const shown = list.map((a) => a.address).join(', ');
        const denied = Object.assign(new Error(`${name} resolves to ${shown}, which an allowed name may not reach (allow the address itself to permit it)`), { code: ADDRESS_DENIED });
        return callback(denied, '');
      }
      if (options.all) return callback(null, kept);
      callback(null, kept[0]!.address, kept[0]!.family);
    });
  };
}
