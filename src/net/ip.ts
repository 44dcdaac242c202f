// IP address and subnet syntax, shared by token allow-lists and the TRUST_PROXY setting.
import ipaddr from 'ipaddr.js';

/** An IPv4/IPv6 address or CIDR subnet. IPv4 must be four decimal parts: "127.1" or "0x7f.0.0.1" are refused. */
export function isIpOrCidr(entry: string): boolean {
  if (entry.includes('/')) return ipaddr.IPv4.isValidCIDRFourPartDecimal(entry) || ipaddr.IPv6.isValidCIDR(entry);
  return ipaddr.IPv4.isValidFourPartDecimal(entry) || ipaddr.IPv6.isValid(entry);
}
