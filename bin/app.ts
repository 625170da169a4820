#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { enforceRulePacks } from '../lib/compliance/rule-packs';
import { ConfigError, loadConfig } from '../lib/config';
import { createStowage } from '../lib/stowage-app';

// Read and validate the config, then create the stacks. Nothing else belongs here.
const app = new App();
const envName = String(app.node.tryGetContext('env') ?? 'dev');
try {
  const config = loadConfig(envName, { environment: process.env, deploy: true });
  enforceRulePacks(app);
  createStowage(app, config);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
