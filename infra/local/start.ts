/**
 * `npm start`: the embedded default. For now the local cloud with its built-in functions; the API,
 * the workflow runner and the demo target join it as they are built.
 */
import './cloud/main.ts';
