/**
 * infra/k8s/components/ticket-files-s3 added to each overlay and rendered by
 * `kubectl kustomize`: tickets reads its bucket's settings from the Secret `gittix-s3`
 * and may reach HTTPS outside the cluster, which it may not without the component.
 */
import { describe, expect, it } from 'vitest';
import { schemaErrors } from './lib/k8s-schema.js';
import { kustomize, kustomizeDirs } from './lib/kubectl.js';
import { renderWithComponent } from './lib/monitoring.js';
import type { Yaml as Any } from './lib/repo.js';

const component = 'infra/k8s/components/ticket-files-s3';
const overlays = kustomizeDirs
  .filter((dir) => dir.startsWith('infra/k8s/overlays/'))
  .map((dir) => dir.slice('infra/k8s/overlays/'.length));

const ticketsPod = (objects: Any[]): Any =>
  objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'tickets').spec.template;

/** Whether some NetworkPolicy selecting tickets' pods lets them out to `ip` on `port`. */
function ticketsMayReach(objects: Any[], ip: string, port: number): boolean {
  const labels = ticketsPod(objects).metadata.labels as Record<string, string>;
  const inBlock = (block: { cidr: string; except?: string[] }) =>
    cidrHas(block.cidr, ip) && !(block.except ?? []).some((cidr) => cidrHas(cidr, ip));
  return objects
    .filter((o) => o.kind === 'NetworkPolicy')
    .filter((p) =>
      Object.entries(p.spec.podSelector.matchLabels ?? {}).every(([k, v]) => labels[k] === v),
    )
    .flatMap((p) => p.spec.egress ?? [])
    .some(
      (rule: Any) =>
        (rule.ports ?? []).some((p: Any) => p.port === port) &&
        (rule.to ?? []).some((peer: Any) => peer.ipBlock && inBlock(peer.ipBlock)),
    );
}

function cidrHas(cidr: string, ip: string): boolean {
  const [base, bits] = cidr.split('/') as [string, string];
  const number = (address: string) =>
    address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(number(ip) / size) === Math.floor(number(base) / size);
}

describe.each(overlays)('the ticket-files-s3 component on the %s overlay', (overlay) => {
  const without: Any[] = kustomize(`infra/k8s/overlays/${overlay}`);
  const withS3: Any[] = renderWithComponent(overlay, component);

  it('when added, then tickets reads gittix-s3 besides its config, and its env is otherwise unchanged', () => {
    const before = ticketsPod(without).spec.containers[0];
    const after = ticketsPod(withS3).spec.containers[0];
    expect(after.name).toBe('tickets');
    expect(after.envFrom).toEqual([...before.envFrom, { secretRef: { name: 'gittix-s3' } }]);
    expect(after.env).toEqual(before.env);
  });

  it('when added, then tickets may reach a bucket on the internet over HTTPS, and still nothing inside the cluster', async () => {
    expect(ticketsMayReach(without, '52.216.8.1', 443)).toBe(false);
    expect(ticketsMayReach(withS3, '52.216.8.1', 443)).toBe(true);
    expect(ticketsMayReach(withS3, '10.1.2.3', 443)).toBe(false);
    expect(ticketsMayReach(withS3, '52.216.8.1', 80)).toBe(false);
    const policy = withS3.find(
      (o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'tickets-s3',
    );
    expect(await schemaErrors(policy)).toEqual([]);
  });
});
