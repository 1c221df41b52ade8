// The shape of the knowledge base. Pattern files, fact rules and bundle layouts are data;
// this module is the single definition of what that data may say.
import { z } from 'zod';
import { SEVERITIES, type Severity } from './severity.js';

export { SEVERITIES, type Severity };

const duration = z.string().regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 30s, 10m or 2h');

export const FORMATS = [
  'felix', 'klog', 'journal', 'journal-iso', 'syslog', 'cri', 'logrus',
  'describe-events', 'get-events', 'cluster-info-dump', 'json', 'plain',
] as const;

/** Named regex fragments run only on records that already matched a signal: extra captures. */
const alsoSchema = z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), z.string().min(1));

export const signalSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'lowercase-hyphenated'),
  description: z.string().optional(),
  literal: z.string().min(5, 'a literal of at least 5 bytes: the prefilter searches for it before any regex runs'),
  regex: z.string().min(1),
  ignoreCase: z.boolean().optional(),
  also: alsoSchema.optional(),
  /** names of `also` regexes that must match too, or the line does not count at all (not even as evidence) */
  require: z.array(z.string()).optional(),
});

export type Condition =
  | { signal: string; min?: number; within?: string; where?: Record<string, string> }
  | { fact: string; equals?: string; matches?: string; versionIn?: string[]; atLeast?: number; present?: boolean }
  | { diagnosis: string }
  /** an upgrade moment of this timeline kind at most `within` before this diagnosis was first seen */
  | { event: string; within: string }
  /** every one of these signals seen within `within` of each other (two lines of one failure);
   *  judged on each minute's first and last hit: exact for two signals and spans of a minute or more */
  | { together: string[]; within: string }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({
      signal: z.string(),
      min: z.number().int().positive().optional(),
      within: duration.optional(),
      where: z.record(z.string(), z.string()).optional(),
    }),
    z.strictObject({
      fact: z.string(),
      equals: z.string().optional(),
      matches: z.string().optional(),
      versionIn: z.array(z.string().regex(/^\S+( - \S+)?$/, 'a version or a range "A - B"')).optional(),
      atLeast: z.number().optional(),
      present: z.boolean().optional(),
    }),
    z.strictObject({ diagnosis: z.string() }),
    z.strictObject({ event: z.string().regex(/^[a-z][a-z0-9-]*$/), within: duration }),
    z.strictObject({ together: z.array(z.string()).min(2), within: duration }),
    z.strictObject({ all: z.array(conditionSchema).min(1) }),
    z.strictObject({ any: z.array(conditionSchema).min(1) }),
    z.strictObject({ not: conditionSchema }),
  ]),
);

const exampleSchema = z.strictObject({
  format: z.enum(FORMATS),
  text: z.string().min(1),
  /** which signal must fire (positives), default: any of the pattern's signals */
  signal: z.string().optional(),
  /** captures the signal must produce */
  captures: z.record(z.string(), z.string()).optional(),
  /** facts known alongside (for signals that only count with them, e.g. an affected kernel) */
  facts: z.record(z.string(), z.string()).optional(),
  /** the container whose log this example's lines are in, when the lines cannot say it themselves
   *  (a raw iptables error, a pre-3.14 felix line without its component): felix and cri only */
  container: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a container name').optional(),
  note: z.string().optional(),
});

const negativeSchema = z.strictObject({
  format: z.enum(FORMATS),
  text: z.string().min(1),
  why: z.string().min(3, 'say why this near-miss must not match'),
  /** how many times the text is seen in a row (default 10, enough for any count or window): 1 or a
   *  few for a near miss that is one occurrence below a `when` min (a single failed probe at start-up) */
  times: z.number().int().min(1).optional(),
});

const remediationSchema = z.strictObject({
  text: z.string().min(3),
  commands: z.array(z.string().min(1)).optional(),
  /** shown unless the facts known contradict it (e.g. the rollback for one distribution's kernel) */
  when: conditionSchema.optional(),
});

export const patternSchema = z.strictObject({
  id: z.string().regex(/^(kernel|calico|cni|kube|containerd|sandbox|microk8s)-[a-z0-9-]+$/, 'lowercase, hyphenated, component first: kernel-, calico-, cni-, kube-, containerd-, sandbox- or microk8s-'),
  title: z.string().min(5),
  severity: z.enum(SEVERITIES),
  kind: z.enum(['cause', 'symptom']),
  summary: z.string().min(20),
  rootCause: z.string().min(20),
  /** the popular explanation that is wrong, said plainly, with why */
  notThis: z.string().optional(),
  /** for symptoms: what to read next when no cause is known, and why the evidence is not enough */
  nextSteps: z.string().optional(),
  /** for symptoms: the causes known to produce it (default: any cause). Only these are named as
   *  its likely cause; another cause found alongside is not claimed to explain it. */
  causedBy: z.array(z.string()).optional(),
  remediation: z.array(remediationSchema).min(1),
  references: z.array(z.string()).min(1),
  signals: z.array(signalSchema).min(1),
  /** when the diagnosis is raised; default: any signal seen once */
  when: conditionSchema.optional(),
  confidence: z.strictObject({
    base: z.number().min(0).max(1),
    factors: z.array(z.strictObject({
      when: conditionSchema,
      add: z.number().min(-1).max(1),
      because: z.string().min(5),
    })).default([]),
  }),
  examples: z.strictObject({
    positive: z.array(exampleSchema).min(1),
    negative: z.array(negativeSchema).min(1),
  }),
});

export const factRuleSchema = z.strictObject({
  fact: z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'dotted lowercase, e.g. kernel.release'),
  /** what the prefilter searches for; a `head` rule may leave it out (a one-line file has nothing
   *  fixed in it), and with it, only lines that hold it are tried */
  literal: z.string().min(5).optional(),
  /** read only from the first N lines of each file (N ≤ 64), once, when the stream starts — never
   *  through the prefilter: for a value every line carries (a journal's host field), which as a
   *  literal would make every line a candidate */
  head: z.number().int().min(1).max(64).optional(),
  regex: z.string().min(1),
  ignoreCase: z.boolean().optional(),
  /** value template: capture names in braces; default {value} */
  value: z.string().optional(),
  /** higher wins when sources disagree */
  priority: z.number().int().min(0).max(100).default(50),
  /** how values from several records combine: the best-priority latest one, or the numeric maximum */
  combine: z.enum(['max']).optional(),
  /** only in files whose path inside the input matches one of these globs */
  files: z.array(z.string()).optional(),
  /** cluster: the rule reads a listing of every node (a NodeList, `get pods -A`), so values that
   *  differ within one source describe different nodes: they then rank below every other source and
   *  no condition uses them */
  scope: z.enum(['node', 'cluster']).optional(),
  /** the value read from a stamped line holds from its time until the next timed value of the same
   *  fact (a boot's kernel release): a diagnosis's conditions use the value in effect at its last
   *  hit, not the best value overall (src/engine/timed.ts) */
  timed: z.boolean().optional(),
  /** lines around the hit the regex may see (JSON and YAML spread a value over lines) */
  window: z.strictObject({ before: z.number().int().min(0).max(20).default(0), after: z.number().int().min(0).max(20).default(0) }).optional(),
  /** regexes run on the value before it is kept: what their `secret` group matched becomes `***`
   *  (a kernel command line may hold an iSCSI password, and reports get pasted into tickets).
   *  Conditions see the masked value. */
  redact: z.array(z.string().regex(/\(\?<secret>/, 'a redact regex needs a (?<secret>…) group')).optional(),
  examples: z.array(z.strictObject({ text: z.string(), value: z.string(), file: z.string().optional() })).min(1),
}).refine((r) => r.literal !== undefined || r.head !== undefined, { message: 'a literal of at least 5 bytes (only a head: rule may go without)', path: ['literal'] });

/** Where pods run: the knowledge that lets a hit from another node's pod (a cluster-info-dump holds
 *  every pod's log) be set aside. All rules are bound to files. */
export const podRuleSchema = z.strictObject({
  /** `object`: a pod object starts here (captures ns, pod), and the next `node` match in the same
   *  file without a pod of its own is its node; `node`: a pod's node (captures node, and ns and pod
   *  when the line names them: a `get pods -o wide` row); `path`: the pod whose log a file holds,
   *  from the file's path (captures ns, pod; no literal); `ref`: the pod a listing row names, read
   *  only from rows that raised a hit (captures ns, pod); `own`: a pod's own log names the node it
   *  runs on (captures node; read only inside a pod's log: a dump's container block, a podlogs file) */
  kind: z.enum(['object', 'node', 'path', 'ref', 'own']),
  description: z.string().optional(),
  literal: z.string().min(5).optional(),
  regex: z.string().min(1),
  files: z.array(z.string()).min(1),
  window: z.strictObject({ before: z.number().int().min(0).max(20).default(0), after: z.number().int().min(0).max(20).default(0) }).optional(),
  examples: z.array(z.strictObject({
    /** the file path (for path rules, the path is the text) */
    file: z.string().optional(),
    text: z.string(),
    pod: z.string().optional(),
    node: z.string().optional(),
  })).min(1),
}).refine((r) => r.kind === 'path' || r.kind === 'ref' || r.literal !== undefined, { message: 'object, node and own rules run through the prefilter: a literal of at least 5 bytes', path: ['literal'] });

export const timelineRuleSchema = z.strictObject({
  kind: z.string().regex(/^[a-z][a-z0-9-]*$/),
  literal: z.string().min(5),
  regex: z.string().min(1),
  /** event text template with {capture} placeholders */
  text: z.string(),
  files: z.array(z.string()).optional(),
  /** the node (re)started here (a boot): a diagnosis last seen before it, with the logs going on
   *  for a while after it, is reported as not seen since (and no longer current) */
  freshStart: z.boolean().optional(),
  examples: z.array(z.strictObject({ text: z.string(), expect: z.string() })).min(1),
});

export const factsFileSchema = z.strictObject({
  kind: z.literal('facts'),
  description: z.string().optional(),
  facts: z.array(factRuleSchema).default([]),
  timeline: z.array(timelineRuleSchema).default([]),
  pods: z.array(podRuleSchema).default([]),
});

export const layoutSchema = z.strictObject({
  kind: z.literal('layout'),
  id: z.string(),
  inputKind: z.enum(['microk8s-inspect', 'sosreport', 'directory']),
  description: z.string(),
  /** names of the archive's single top directory that identify this layout (globs) */
  topDir: z.array(z.string()).default([]),
  /** an unpacked directory is this layout when any of these globs matches a path inside it */
  detect: z.array(z.string()).min(1),
  /** files scanned with every signal */
  logs: z.array(z.string()).min(1),
  /** files scanned for facts and timeline events only */
  facts: z.array(z.string()).default([]),
  /** regexes over the archive's file name giving when it was made: named groups year, month, day
   *  and optionally hour, minute, second (a date alone means the end of that day) */
  nameDates: z.array(z.string()).default([]),
  /** per-file source format overrides (glob → format), where detection would guess wrong */
  formats: z.record(z.string(), z.enum(FORMATS)).default({}),
});

/** Where a component's lines are written: knowledge for the fleet exports, not for the diagnosis. */
export const streamsSchema = z.strictObject({
  kind: z.literal('streams'),
  id: z.string(),
  description: z.string(),
  /** journal identifier → the identifiers whose lines it now writes (MicroK8s ≥ 1.21 kubelite) */
  journalHosts: z.record(z.string(), z.array(z.string()).min(1)).default({}),
  /** Calico felix-format component prefix → the container whose log holds its lines; null: not a pod log */
  components: z.record(z.string(), z.string().nullable()).default({}),
});

export type PatternFile = z.infer<typeof patternSchema>;
export type Signal = z.infer<typeof signalSchema>;
export type FactRule = z.infer<typeof factRuleSchema>;
export type TimelineRule = z.infer<typeof timelineRuleSchema>;
export type PodRule = z.infer<typeof podRuleSchema>;
export type FactsFile = z.infer<typeof factsFileSchema>;
export type Layout = z.infer<typeof layoutSchema>;
export type Streams = z.infer<typeof streamsSchema>;

export type Format = (typeof FORMATS)[number];

/** JSON Schema for editors: written to patterns/schema.json by `patterns schema --write`. */
export function jsonSchemas(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'cni-doctor knowledge base file',
    oneOf: [
      z.toJSONSchema(patternSchema, { io: 'input', unrepresentable: 'any' }),
      z.toJSONSchema(factsFileSchema, { io: 'input', unrepresentable: 'any' }),
      z.toJSONSchema(layoutSchema, { io: 'input', unrepresentable: 'any' }),
      z.toJSONSchema(streamsSchema, { io: 'input', unrepresentable: 'any' }),
    ],
  };
}
