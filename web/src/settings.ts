/**
 * The server's settings the app needs, put by the server into index.html as
 * `<meta name="latchkey-settings" content="{…}">` (src/http/web.ts): where
 * GraphQL lives (GRAPHQL_PATH) and which other origins `next=` may return to
 * (REDIRECT_ORIGINS). Served without it (the Vite dev server), the defaults.
 */
export interface ServerSettings {
  graphqlPath: string;
  redirectOrigins: string[];
}

const defaults: ServerSettings = { graphqlPath: '/graphql', redirectOrigins: [] };

function read(): ServerSettings {
  const content = document.querySelector('meta[name="latchkey-settings"]')?.getAttribute('content');
  if (!content) return defaults;
  try {
    return { ...defaults, ...(JSON.parse(content) as Partial<ServerSettings>) };
  } catch {
    return defaults;
  }
}

export const serverSettings: ServerSettings = read();
