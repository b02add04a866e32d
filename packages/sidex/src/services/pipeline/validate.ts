// Validation of a pipeline file: RocketRide's `{valid, errors, warnings}`.
// Errors stop a task from starting; warnings are reported and the task runs.
// Every issue says what is wrong, where (a path into the file and the
// component), and carries a stable code.
import { isSidexError } from '../../errors.js';
import { checkFunctionBody, InlineSyntaxError } from '../../runtime/compile-inline.js';
import { CODE_PARAMS, codeFilename } from '../../runtime/pipeline-host/code-component.js';
import { findCycles, laneKey, reachableFrom, readersOf } from '../../runtime/pipeline-host/graph.js';
import type { ResolvedComponent, ResolvedPipeline } from '../../runtime/pipeline-host/pipeline.js';
import { PROVIDER_NAMES, providerOf } from './providers.js';
import { PipelineFileSchema, unwrapPipeline, type ComponentEntry, type PipelineFile } from './pipeline-file.js';

export interface ValidationIssue {
  code: string;
  message: string;
  /** Where in the pipeline file, e.g. `components[2].config.code`. */
  path?: string;
  component?: string;
  /** The provider an UNKNOWN_PROVIDER error names. */
  provider?: string;
  line?: number;
  column?: number;
}

export interface ValidationReport {
  valid: boolean;
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
  /** The source component the task would use, when it could be told. */
  source?: string;
  /** Present when valid: what a task host runs. */
  pipeline?: ResolvedPipeline;
}

export interface ValidateOptions {
  /** Overrides the pipeline's own `source`. */
  source?: string;
  /** Resolves an `actionblock` config to its entry file; throws a SidexError when it cannot. */
  resolveBlock(config: { name?: string; path?: string }): string;
}

const SOURCE_PROVIDERS = PROVIDER_NAMES.filter((p) => providerOf(p)?.role === 'source');

export function validatePipeline(raw: unknown, options: ValidateOptions): ValidationReport {
  const parsed = PipelineFileSchema.safeParse(unwrapPipeline(raw));
  if (!parsed.success) {
    const errors = parsed.error.issues.map((issue) => {
      const path = issue.path.map(String).join('.').replace(/\.(\d+)(?=\.|$)/g, '[$1]') || '(pipeline)';
      return { code: 'INVALID_PIPELINE', path, message: `${path}: ${issue.message}` };
    });
    return { valid: false, errors, warnings: [] };
  }
  return new Checker(parsed.data, options).run();
}

const where = (index: number, component: ComponentEntry) => `components[${index}] (id "${component.id}")`;

class Checker {
  private readonly errors: ValidationIssue[] = [];
  private readonly warnings: ValidationIssue[] = [];
  private readonly resolved: ResolvedComponent[] = [];
  private readonly byId = new Map<string, ResolvedComponent>();

  constructor(
    private readonly file: PipelineFile,
    private readonly options: ValidateOptions,
  ) {}

  run(): ValidationReport {
    this.file.components.forEach((c, i) => this.component(c, i));
    this.inputs();
    const source = this.source();
    for (const cycle of findCycles(this.resolved)) {
      this.error('CYCLE', `components form a cycle: ${cycle.join(' -> ')}; a lane may not lead back to where it came from`);
    }
    if (source) this.flow(source);
    const valid = this.errors.length === 0;
    return {
      valid,
      errors: this.errors,
      warnings: this.warnings,
      ...(source ? { source } : {}),
      ...(valid && source
        ? {
            pipeline: {
              name: this.file.name ?? source,
              projectId: this.file.project_id ?? '',
              source,
              components: this.resolved,
            },
          }
        : {}),
    };
  }

  private error(code: string, message: string, extra: Omit<ValidationIssue, 'code' | 'message'> = {}): void {
    this.errors.push({ code, message, ...extra });
  }

  private warn(code: string, message: string, extra: Omit<ValidationIssue, 'code' | 'message'> = {}): void {
    this.warnings.push({ code, message, ...extra });
  }

  /** Its id is unique, its provider known, its config right for that provider. */
  private component(entry: ComponentEntry, index: number): void {
    const path = `components[${index}]`;
    const at = { path, component: entry.id };
    if (this.byId.has(entry.id)) {
      const first = this.resolved.findIndex((c) => c.id === entry.id);
      this.error('DUPLICATE_COMPONENT', `${path}.id: "${entry.id}" is already the id of components[${first}]`, { ...at, path: `${path}.id` });
      return;
    }
    const definition = providerOf(entry.provider);
    const config = entry.config ?? {};
    const component: ResolvedComponent = { id: entry.id, provider: entry.provider, role: definition?.role ?? 'transform', config, input: (entry.input ?? []).map(({ lane, from }) => ({ lane, from })) };
    this.byId.set(entry.id, component);
    this.resolved.push(component);
    if (!definition) {
      this.error('UNKNOWN_PROVIDER', `${where(index, entry)}: unknown provider "${entry.provider}"; available providers: ${PROVIDER_NAMES.join(', ')}`, { ...at, path: `${path}.provider`, provider: entry.provider });
      return;
    }
    const checked = definition.config.safeParse(config);
    if (!checked.success) {
      for (const issue of checked.error.issues) {
        const field = [`${path}.config`, ...issue.path.map(String)].join('.');
        this.error('INVALID_CONFIG', `${where(index, entry)}, provider ${entry.provider}: ${field}: ${issue.message}`, { ...at, path: field });
      }
      return;
    }
    component.config = checked.data;
    if (entry.provider === 'code') this.code(component, index, entry);
    if (entry.provider === 'actionblock') this.block(component, index, entry);
  }

  private code(component: ResolvedComponent, index: number, entry: ComponentEntry): void {
    try {
      checkFunctionBody(String(component.config.code), codeFilename(component.id), CODE_PARAMS);
    } catch (err) {
      if (!(err instanceof InlineSyntaxError)) throw err;
      const { line, column, message } = err.info;
      const path = `components[${index}].config.code`;
      this.error('SYNTAX_ERROR', `${where(index, entry)}: ${path}: ${message}`, {
        path,
        component: component.id,
        ...(line ? { line } : {}),
        ...(column ? { column } : {}),
      });
    }
  }

  private block(component: ResolvedComponent, index: number, entry: ComponentEntry): void {
    const { name, path } = component.config as { name?: string; path?: string };
    try {
      component.blockEntry = this.options.resolveBlock({ ...(name ? { name } : {}), ...(path ? { path } : {}) });
    } catch (err) {
      if (!isSidexError(err)) throw err;
      const field = `components[${index}].config.${name ? 'name' : 'path'}`;
      this.error(err.code, `${where(index, entry)}: ${field}: ${err.message}`, { path: field, component: component.id });
    }
  }

  /** Every `{lane, from}` names a component that can emit that lane. */
  private inputs(): void {
    this.resolved.forEach((component, index) => {
      const seen = new Set<string>();
      component.input.forEach(({ lane, from }, j) => {
        const path = `components[${index}].input[${j}]`;
        const at = { path, component: component.id };
        const key = laneKey(from, lane);
        if (seen.has(key)) this.warn('DUPLICATE_INPUT', `${path}: lane "${lane}" from "${from}" is listed twice; it is read once`, at);
        seen.add(key);
        const upstream = this.byId.get(from);
        if (!upstream) {
          this.error('UNKNOWN_COMPONENT', `${path}.from: no component has the id "${from}" (lane "${lane}" of "${component.id}" connects nothing)`, { ...at, path: `${path}.from` });
          return;
        }
        const emitted = this.emitted(upstream);
        if (emitted !== 'any' && !emitted.includes(lane)) {
          const offer = emitted.length === 0 ? 'it emits no lanes' : `it emits only ${emitted.join(', ')}`;
          this.error('LANE_NOT_EMITTED', `${path}: lane "${lane}" of "${from}" connects nothing: ${from} is a ${upstream.provider} component and ${offer}`, at);
        }
      });
    });
  }

  private emitted(component: ResolvedComponent): string[] | 'any' {
    const definition = providerOf(component.provider);
    if (!definition) return 'any'; // already an error; do not pile more on it
    return definition.emits(component.config, component.input.map((i) => i.lane));
  }

  /** The option, else the file's `source`, else the one component with `config.mode == 'Source'`. */
  private source(): string | undefined {
    const named = this.options.source ?? this.file.source;
    const sources = this.resolved.filter((c) => c.role === 'source').map((c) => `${c.id} (${c.provider})`);
    const hint = sources.length > 0 ? `source components here: ${sources.join(', ')}` : `none of its components is a source (${SOURCE_PROVIDERS.join(', ')})`;
    let source: ResolvedComponent | undefined;
    if (named !== undefined) {
      source = this.byId.get(named);
      if (!source) {
        this.error('UNKNOWN_SOURCE', `source: no component has the id "${named}"; ${hint}`, { path: 'source' });
        return undefined;
      }
    } else {
      const marked = this.resolved.filter((c) => c.config.mode === 'Source');
      if (marked.length > 1) {
        this.error('AMBIGUOUS_SOURCE', `source: ${marked.map((c) => c.id).join(', ')} all have config.mode "Source"; set "source" to choose one`, { path: 'source' });
        return undefined;
      }
      source = marked[0];
      if (!source) {
        this.error('MISSING_SOURCE', `source: the pipeline has no source: set "source" or give one component config.mode "Source"; ${hint}`, { path: 'source' });
        return undefined;
      }
    }
    if (source.role !== 'source' && providerOf(source.provider)) {
      this.error('NOT_A_SOURCE', `source: "${source.id}" is a ${source.provider} component; a source must be one of ${SOURCE_PROVIDERS.join(', ')}`, { path: 'source', component: source.id });
      return undefined;
    }
    if (source.input.length > 0) this.warn('SOURCE_HAS_INPUT', `source "${source.id}" lists inputs; items enter the pipeline there, so they are ignored`, { component: source.id });
    return source.id;
  }

  /** What an item entering at the source reaches, and what it leaves unread. */
  private flow(source: string): void {
    const reachable = reachableFrom(this.resolved, source);
    const readers = readersOf(this.resolved);
    for (const component of this.resolved) {
      if (!reachable.has(component.id)) {
        const why = component.role === 'source' ? 'it is a source, but not the task\'s source' : `it is not reachable from the source "${source}"`;
        this.warn('UNREACHABLE', `component "${component.id}" never runs: ${why}`, { component: component.id });
        continue;
      }
      if (component.role === 'sink') continue;
      const emitted = this.emitted(component);
      const read = emitted === 'any' ? [...readers.keys()].some((k) => k.startsWith(laneKey(component.id, ''))) : emitted.some((lane) => readers.has(laneKey(component.id, lane)));
      if (!read) this.warn('OUTPUT_UNREAD', `component "${component.id}" connects nothing: no component reads its lanes, so what it emits is dropped`, { component: component.id });
    }
    if (![...reachable].some((id) => this.byId.get(id)?.role === 'sink')) {
      this.warn('NO_RESPONSE', `no response component is reachable from the source "${source}": every item's result will be empty`);
    }
  }
}
