import { writeFileSync } from 'fs';
import { join } from 'path';
import { renderAcknowledgementsDoc } from '../lib/compliance/acknowledgements-doc';

const file = join(__dirname, '..', 'docs', 'security-acknowledgements.md');
writeFileSync(file, renderAcknowledgementsDoc());
console.log(`wrote ${file}`);
