// Defaults of the fleet exports, apart so the CLI can show them without loading the exporters.
export const DEFAULT_SELECTOR = '{namespace="kube-system", container="calico-node"}';
/** install-cni is an init container of the calico-node pod; Promtail's kubernetes SD lists init
 *  containers too, so their logs carry the same labels with their own container name. */
export const DEFAULT_INSTALL_CNI_SELECTOR = '{namespace="kube-system", container="install-cni"}';
export const DEFAULT_JOURNAL_SELECTOR = '{unit="snap.microk8s.daemon-kubelite.service"}';
export const DEFAULT_JOURNAL_SOURCE = 'microk8s.daemon-kubelite';

/** `export npd` by default writes monitors for MicroK8s's own daemons only: the knowledge pack is
 *  MicroK8s + Calico, whose logs are the snap.microk8s.* units (../shared/DESIGN.md, `watch`). Not
 *  `kernel`: NPD reads kernel messages with its kmsg plugin and ships its own kernel monitor, and no
 *  pattern raises a diagnosis from a kernel line alone (they need facts), so a kernel monitor would
 *  be empty. */
export function isDefaultNpdSource(identifier: string): boolean {
  return identifier.startsWith('microk8s.');
}
/** The same rule in words, for --help. */
export const DEFAULT_NPD_SOURCES_HELP = 'the microk8s.* daemons some pattern has a rule for';
