import { removeSynthOutdirs } from './app';

// Every test file that synthesizes apps leaves one cloud assembly directory per app in the temp dir: remove them.
afterAll(() => removeSynthOutdirs());
