/**
 * Property tests run from one seed, so every run (CI included) checks the same cases and cannot
 * flake. `FC_SEED=random npm test` explores new cases; a failure prints the seed and path that
 * replay it (`FC_SEED=<seed>`), and the case belongs in the test as a fixed example once fixed.
 */
import fc from "fast-check";

const seed = process.env.FC_SEED;
if (seed !== "random") fc.configureGlobal({ seed: seed === undefined ? 20261130 : Number(seed) });
