// The frontend's services/bars.ts after the migration: the same names, from the SDK.
export {
  type DailyBar,
  DailyBarSchema,
  type DailyResponse,
  DailyResponseSchema,
  fetchDaily,
  fetchHour,
  fetchMinute,
  fetchMinuteDecimated,
  type HourBar,
  HourBarSchema,
  type HourResponse,
  HourResponseSchema,
  type MinuteBar,
  MinuteBarSchema,
  type MinuteResponse,
  MinuteResponseSchema,
} from '@hewston-bff/browser/compat'
