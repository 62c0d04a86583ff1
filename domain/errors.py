"""Domain errors: every refused command raises one of these, with a stable `code`."""


class DomainError(Exception):
    """A command the domain refuses. Nothing is recorded when one is raised."""

    code = "domain_error"


class TerminalRevokedError(DomainError):
    """An authenticated request of a revoked terminal: refused, nothing decided for it."""

    code = "terminal_revoked"


class InvalidAmountError(DomainError):
    code = "invalid_amount"


class InvalidCommandError(DomainError):
    """A command whose fields are malformed (bad UID, unknown kind, bad time zone …)."""

    code = "invalid_command"


class MalformedUidError(InvalidCommandError):
    code = "malformed_uid"


class InvalidTextError(InvalidCommandError):
    """Text that may not enter an event: not text, unprintable, empty or too long."""

    code = "invalid_text"


class InvalidTimeError(InvalidCommandError):
    """A UTC offset no clock shows, a time out of range, or a date too far from today."""

    code = "invalid_time"


class UnknownFieldError(InvalidCommandError):
    """A request names a field the command does not take (a typo, or an attempt)."""

    code = "unknown_field"


class NotFoundError(DomainError):
    code = "not_found"


class UnknownSchoolError(NotFoundError):
    code = "unknown_school"


class UnknownTerminalError(NotFoundError):
    code = "unknown_terminal"


class UnknownContractError(NotFoundError):
    code = "unknown_contract"


class UnknownCardError(NotFoundError):
    code = "unknown_card"


class ConflictError(DomainError):
    """The command contradicts something already recorded."""

    code = "conflict"


class ContractAlreadyExistsError(ConflictError):
    code = "contract_exists"


class CardAlreadyIssuedError(ConflictError):
    code = "card_already_issued"


class TooManyActiveCardsError(ConflictError):
    code = "too_many_active_cards"


class CardStateError(ConflictError):
    code = "card_state"


class TapConflictError(ConflictError):
    """The same (terminal, tap_id) arrived again with a different payload."""

    code = "tap_conflict"


class PaymentConflictError(ConflictError):
    """The same external payment id arrived again with a different payload."""

    code = "payment_conflict"


class TapInFutureError(InvalidCommandError):
    code = "tap_in_future"


class TapTooOldError(InvalidCommandError):
    """Older than an online tap may be, or than the reader's offline period."""

    code = "tap_too_old"


class TapPayloadError(InvalidCommandError):
    """The tap's payload does not fit the terminal's kind (items at a turnstile …)."""

    code = "tap_payload"


class InsufficientFundsError(DomainError):
    code = "insufficient_funds"


class AccountClosedError(DomainError):
    code = "account_closed"


class SubsidyError(ConflictError):
    code = "subsidy"


class ConcurrencyError(DomainError):
    """Retries on version conflicts ran out; the command was not applied."""

    code = "concurrency"


class DisputeError(ConflictError):
    """A dispute that does not exist, or is already decided."""

    code = "dispute_state"


class RefundError(ConflictError):
    """A refund step out of order, or an account not at zero where it must be."""

    code = "refund_state"
