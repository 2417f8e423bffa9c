import type { SourceFormat } from '../catalog.js';
import type { UserRow } from '../schema.js';
import { type BadLineSink, parseId } from './bad-lines.js';
import { forEachTextLine } from './text.js';

/**
 * User files: ml-100k `u.user` (`user id|age|gender|occupation|zip code`, occupations by name) and ml-1m
 * `users.dat` (`UserID::Gender::Age::Occupation::Zip-code`, occupations by code).
 */

/** ml-1m's occupation codes, as its README names them (code 0 is `"other" or not specified`). */
export const ML1M_OCCUPATIONS: readonly string[] = [
  'other',
  'academic/educator',
  'artist',
  'clerical/admin',
  'college/grad student',
  'customer service',
  'doctor/health care',
  'executive/managerial',
  'farmer',
  'homemaker',
  'K-12 student',
  'lawyer',
  'programmer',
  'retired',
  'sales/marketing',
  'scientist',
  'self-employed',
  'technician/engineer',
  'tradesman/craftsman',
  'unemployed',
  'writer',
];

/**
 * Reads a users file of the ml-100k or `.dat` layout, streaming.
 * @example const { users } = await readUsersFile('ml-1m/users.dat', 'dat', sink);
 */
export async function readUsersFile(
  file: string,
  format: Exclude<SourceFormat, 'csv'>,
  sink: BadLineSink,
  options: { hash?: boolean } = {},
): Promise<{ users: UserRow[]; sha256: string | null }> {
  const users: UserRow[] = [];
  const seen = new Set<number>();
  const { sha256 } = await forEachTextLine(
    file,
    'latin1',
    sink,
    ({ text, line }) => {
      const fields = format === 'dat' ? text.split('::') : text.split('|');
      if (fields.length !== 5)
        return sink.fault(file, line, 'field count', `expected 5 fields, found ${fields.length}`);
      const [idField, genderField, ageField, occupationField, zipField] =
        format === 'dat'
          ? (fields as [string, string, string, string, string])
          : ([fields[0], fields[2], fields[1], fields[3], fields[4]] as [
              string,
              string,
              string,
              string,
              string,
            ]);
      const userId = parseId(idField);
      if (userId === null)
        return sink.fault(file, line, 'non-numeric id', `user id ${JSON.stringify(idField)}`);
      if (seen.has(userId))
        return sink.fault(file, line, 'duplicate', `user ${userId} appears on an earlier line`);
      if (genderField !== 'M' && genderField !== 'F' && genderField !== '') {
        return sink.fault(file, line, 'bad value', `gender ${JSON.stringify(genderField)} is not M or F`);
      }
      const age = ageField === '' ? null : parseId(ageField);
      if (ageField !== '' && age === null) {
        return sink.fault(file, line, 'bad value', `age ${JSON.stringify(ageField)} is not a whole number`);
      }
      let occupation: string | null = occupationField === '' ? null : occupationField;
      if (format === 'dat' && occupation !== null) {
        const code = parseId(occupation);
        const name = code === null ? undefined : ML1M_OCCUPATIONS[code];
        if (name === undefined) {
          return sink.fault(
            file,
            line,
            'bad value',
            `occupation code ${JSON.stringify(occupation)} is not 0..20`,
          );
        }
        occupation = name;
      }
      seen.add(userId);
      users.push({
        userId,
        gender: genderField === '' ? null : genderField,
        age,
        occupation,
        zip: zipField === '' ? null : zipField,
      });
    },
    options,
  );
  return { users, sha256 };
}
