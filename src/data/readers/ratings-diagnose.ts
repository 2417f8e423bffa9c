import type { RatingScale } from '../catalog.js';
import { type BadLineSink, parseId } from './bad-lines.js';

/**
 * The slow path of the ratings parser: a line the byte-level fast path refused is split as text and checked
 * field by field, so the error says exactly what is wrong.
 */

/** Whole seconds up to 15 digits (year 33658): anything longer is not a MovieLens timestamp. */
export const MAX_TIMESTAMP_DIGITS = 15;

/**
 * Says exactly what is wrong with a ratings line the fast path refused, through the sink (which throws unless
 * skipping bad lines).
 */
export function diagnoseRatingLine(
  text: string,
  file: string,
  lineNo: number,
  options: { layout: 'tab' | 'dat' | 'csv'; scale: RatingScale },
  sink: BadLineSink,
): void {
  const separator = options.layout === 'tab' ? '\t' : options.layout === 'dat' ? '::' : ',';
  const fields = text.split(separator);
  const shown = JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);
  if (fields.length !== 4) {
    sink.fault(file, lineNo, 'field count', `expected 4 fields, found ${fields.length} in ${shown}`);
    return;
  }
  const [user, movie, rating, time] = fields as [string, string, string, string];
  if (parseId(user) === null) {
    sink.fault(file, lineNo, 'non-numeric id', `user id ${JSON.stringify(user)} is not an integer id`);
    return;
  }
  if (parseId(movie) === null) {
    sink.fault(file, lineNo, 'non-numeric id', `movie id ${JSON.stringify(movie)} is not an integer id`);
    return;
  }
  if (!/^\d+(\.\d+)?$/.test(rating)) {
    sink.fault(file, lineNo, 'bad rating', `rating ${JSON.stringify(rating)} is not a number`);
    return;
  }
  const { min, max, step } = options.scale;
  const value = Number(rating);
  const steps = (value - min) / step;
  if (value < min || value > max || steps !== Math.floor(steps)) {
    sink.fault(
      file,
      lineNo,
      'rating out of range',
      `rating ${rating} is not on the scale ${min}..${max} in steps of ${step}`,
    );
    return;
  }
  if (!new RegExp(`^\\d{1,${MAX_TIMESTAMP_DIGITS}}$`).test(time)) {
    sink.fault(file, lineNo, 'bad timestamp', `timestamp ${JSON.stringify(time)} is not whole seconds`);
    return;
  }
  sink.fault(file, lineNo, 'bad value', `unexpected characters in ${shown}`);
}
