/**
 * npm run build:services: compiles @gittix/common, the services and the CLI
 * (tsc -b), then bundles each service's main into dist/main.bundle.js, the file
 * npm start, the tests' systems and the images run.
 */
import { buildServices } from './system/build.js';

buildServices();
