// Russian words for the API's codes.

export const DECLINE_REASONS: Record<string, string> = {
  unknown_card: "Карта не зарегистрирована",
  card_blocked: "Карта заблокирована",
  card_not_activated: "Карта не активирована",
  insufficient_funds: "Недостаточно средств",
  daily_limit: "Превышен дневной лимит",
  terminal_revoked: "Терминал отключён",
  foreign_school: "Карта другой школы",
  account_closed: "Лицевой счёт закрыт",
  offline_cap: "Превышен лимит покупок без связи",
  banned_item: "Блюдо запрещено родителем",
  allergen: "Аллерген, отмеченный родителем",
  card_frozen: "Карты заморожены родителем",
  category_limit: "Превышен лимит родителя для этого терминала",
  wrong_pin: "Неверный ПИН-код",
  pin_locked: "Слишком много неверных ПИН-кодов: попробуйте позже или задайте новый ПИН в личном кабинете",
  pin_not_set: "ПИН-код не задан: задайте его в личном кабинете",
  invalid_pin: "ПИН-код — это 4 цифры",
  unknown_contract: "Договор не найден",
};

export function declineReason(code: string | null | undefined): string {
  if (!code) return "";
  return DECLINE_REASONS[code] ?? code;
}

export const CARD_STATES: Record<string, string> = {
  ISSUED: "выдана, не активирована",
  ACTIVE: "активна",
  BLOCKED: "заблокирована",
};

export const TARIFFS: Record<string, string> = {
  ZERO: "«Нулевой»",
  MOBILE: "«Мобильный»",
  SMS_PLUS: "«СМС плюс»",
};

export const TERMINAL_KINDS: Record<string, string> = {
  CANTEEN_POS: "касса столовой",
  TURNSTILE: "турникет",
  KIOSK: "терминал пополнения",
  VENDING: "вендинг",
  WARDROBE: "гардероб",
  LOCKER: "шкафчик",
};

export const MOVEMENT_KINDS: Record<string, string> = {
  TOP_UP: "Пополнение",
  PURCHASE: "Покупка",
  OFFLINE_PURCHASE: "Покупка без связи",
  PURCHASE_DECLINED: "Отказ в покупке",
  CARD_FEE: "Плата за карту",
  SUBSIDY_CREDIT: "Дотация",
  TARIFF_FEE: "Плата по тарифу",
  FEE_DEBT: "Долг по тарифу",
  CHARGE_REVERSAL: "Возврат списания",
  REFUND: "Возврат средств",
  STORAGE: "Гардероб и шкафчики",
  OTHER: "Прочее",
};

export const CHANNELS: Record<string, string> = {
  KIOSK_CASH: "наличные в терминале",
  BANK_CARD: "банковская карта",
  AUTOPAY: "автоплатёж",
  SBP: "СБП",
};

export const PROBLEMS: Record<string, string> = {
  INVALID_CREDENTIALS: "Неверный логин или пароль",
  THROTTLED: "Слишком много попыток, попробуйте позже",
  WEAK_PASSWORD: "Пароль слишком простой",
  INVALID_RESET_CODE: "Неверный или просроченный код",
  INVALID_AMOUNT: "Неверная сумма",
  INVALID_TEXT: "Недопустимые символы в тексте",
  NOT_FOUND: "Не найдено",
  CARD_STATE: "Действие недоступно для карты в этом состоянии",
  INSUFFICIENT_FUNDS: "Недостаточно средств",
  DISPUTE_STATE: "Спор по этому списанию уже открыт или решён",
  REFUND_STATE: "Возврат уже запрошен",
  NOT_AVAILABLE: "Пока недоступно",
  invalid_push_subscription: "Браузер прислал неверную подписку на уведомления",
  channel_not_in_tariff: "Этого канала нет в вашем тарифе",
};

export function problemText(p: { code: string; message: string }): string {
  return PROBLEMS[p.code] ?? PROBLEMS[p.code.toUpperCase()] ?? p.message; // userErrors' codes are snake_case
}

/** An instant as a date and time in `timeZone` (a school's, so that a pupil's day reads the same
 * wherever the reader is), or in this device's zone without one. */
export function formatDateTime(iso: string, timeZone?: string): string {
  return new Date(iso).toLocaleString("ru-RU", { dateStyle: "short", timeStyle: "short", timeZone });
}

export function formatDate(isoDate: string): string {
  const [y, m, d] = isoDate.split("-");
  return `${d}.${m}.${y}`;
}
