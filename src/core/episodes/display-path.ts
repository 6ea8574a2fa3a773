/**
 * A path shown relative to the project when it lies inside it. A module of its own (no imports),
 * so that `mcp` shows files without loading the episode builder and its redaction rules.
 */
export function displayPath(path: string, project: string | null): string {
  if (project) {
    const root = project.endsWith("/") ? project : `${project}/`;
    if (path.startsWith(root) && path.length > root.length) return path.slice(root.length);
  }
  return path;
}
