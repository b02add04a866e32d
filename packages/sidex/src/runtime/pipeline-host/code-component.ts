// How a `code` component's body is wrapped, shared by the server (which only
// checks its syntax) and the task host (which compiles and runs it), so that
// both report the same line and column.

/** The names in scope of a `code` component's body, in order. */
export const CODE_PARAMS = ['input', 'ctx', 'require'] as const;

/** The file name errors and stack traces of a `code` component show. */
export const codeFilename = (componentId: string): string => `component-${componentId.replace(/[^\w.-]/g, '_')}.js`;
