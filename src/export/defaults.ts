// Defaults of the Loki export, apart so the CLI can show them without loading the exporter.
export const DEFAULT_SELECTOR = '{namespace="kube-system", container="calico-node"}';
export const DEFAULT_JOURNAL_SELECTOR = '{unit="snap.microk8s.daemon-kubelite.service"}';
export const DEFAULT_JOURNAL_SOURCE = 'microk8s.daemon-kubelite';
