/**
 * The demo's "someone else's" rotation function: a team's own rotator from before the control
 * plane, which compliance reports as rotation by a function other than the product's. It fails
 * every step, as an abandoned one would.
 */
export const handler = async (): Promise<never> => {
  throw new Error('legacy rotator: this function is no longer maintained');
};
