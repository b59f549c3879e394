import { defineConfig } from 'drizzle-kit';

// Migrations are generated from the schema and committed; `latchkey migrate` applies them.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/store/schema.ts',
  out: './src/store/migrations',
});
