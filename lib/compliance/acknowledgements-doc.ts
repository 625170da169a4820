import { ACKNOWLEDGEMENTS } from './acknowledgements';

/**
 * Renders docs/security-acknowledgements.md from the catalogue (`npm run docs:acknowledgements`);
 * a test fails when the file and the catalogue differ.
 */
export function renderAcknowledgementsDoc(): string {
  const lines = [
    '# Security rule-pack acknowledgements',
    '',
    'Every synth runs cdk-nag (AwsSolutions, NIST 800-53 R5, HIPAA Security, Serverless) and the Control Tower',
    'proactive controls through cfn-guard; an unacknowledged finding fails it. These are all the findings Stowage',
    'accepts. Each is acknowledged on the construct it is about (never by path), only through the catalogue in',
    '`lib/compliance/acknowledgements.ts`, from which this page is generated (`npm run docs:acknowledgements`).',
    'Tests prove that the page matches the catalogue, that every entry still matches a real finding, and that no',
    'code acknowledges anything outside the catalogue.',
    '',
  ];
  for (const [name, ack] of Object.entries(ACKNOWLEDGEMENTS)) {
    lines.push(`## ${name}`, '', `- Where: ${ack.where}`, '- Rules:');
    for (const rule of ack.rules) lines.push(`  - \`${rule}\``);
    lines.push(`- Reason: ${ack.reason}`, '');
  }
  return lines.join('\n');
}
