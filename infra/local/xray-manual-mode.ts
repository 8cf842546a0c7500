/**
 * Imported first by every entry point that runs the product's functions in process. Those functions
 * never send traces here (Powertools Tracer is off outside Lambda), but the X-Ray SDK it loads would
 * still, in its default automatic mode, hook every promise of the whole process (cls-hooked's
 * async_hooks with destroy tracking): measured as the largest single cost of a burst of rotations.
 * Manual mode leaves the process alone; on AWS nothing changes.
 */
process.env.AWS_XRAY_MANUAL_MODE ??= 'true';
