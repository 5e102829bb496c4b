/**
 * The edge's ACM certificate as pure decisions: which names it covers, and which DNS records validate it.
 */

export interface CertificateDomains {
    domainName: string;
    subjectAlternativeNames: string[];
}

/**
 * `*.<zone>` and the zone itself cover every host one label below the zone, so adding a service does not
 * replace the certificate; a host deeper than that (`a.b.<zone>`) is named on its own.
 */
export function certificateDomains(zone: string, hosts: string[]): CertificateDomains {
    const covered = (host: string) => host === zone || (host.endsWith(`.${zone}`) && !host.slice(0, -zone.length - 1).includes("."));
    const deeper = [...new Set(hosts.filter((h) => !covered(h)))].sort();
    return { domainName: `*.${zone}`, subjectAlternativeNames: [zone, ...deeper] };
}

/**
 * The names ACM asks a DNS record for: a wildcard and its base name share one record, so one record per
 * base name (ACM's domainValidationOptions lists both, with the same record).
 */
export function validationDomains(domains: CertificateDomains): string[] {
    return [...new Set([domains.domainName, ...domains.subjectAlternativeNames].map((d) => d.replace(/^\*\./, "")))];
}
