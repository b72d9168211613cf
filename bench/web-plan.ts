/** How big and how long the web bench is, per mode; the figures' labels name the size. Loads stay odd: the median is nearest-rank. */
import type { WebPlan } from './web.js';

export const WEB_PLANS: Record<'quick' | 'full', WebPlan> = {
  quick: { stages: 100, services: 50, loads: 1, updates: 10 },
  full: { stages: 1000, services: 50, loads: 10, updates: 200 },
};
