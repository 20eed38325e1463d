//! Stripe, through `async-stripe`: a PaymentIntent in CNY per order (card,
//! Alipay and WeChat Pay), refunds against it, and the webhook's signature
//! check. Configured by `STRIPE_SECRET_KEY` (and `STRIPE_WEBHOOK_SECRET`,
//! `STRIPE_API_BASE` for a stand-in server); without a key the Stripe
//! method is not offered.
//!
//! Requests that create something carry a Stripe idempotency key derived
//! from what they are for, so a retry after a lost answer creates nothing
//! twice on Stripe's side either. Every call gives up after
//! `STRIPE_TIMEOUT_MS` ([`crate::bounds::STRIPE_TIMEOUT_MS`]): an answer
//! that does not come is [`StripeFailure::Unreachable`], whose outcome on
//! Stripe's side is unknown. No call is made inside a database transaction.

use crate::config::{Config, Secret};
use crate::money::Fen;
use std::collections::HashMap;
use stripe::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_core::payment_intent::{
    CreatePaymentIntent, CreatePaymentIntentPaymentMethodOptions, CreatePaymentIntentPaymentMethodOptionsWechatPay,
    CreatePaymentIntentPaymentMethodOptionsWechatPayClient,
};
use stripe_core::refund::{CreateRefund, CreateRefundReason};
use stripe_shared::PaymentIntentAllowedPaymentMethodTypes as Method;

/// Why Stripe did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StripeFailure {
    /// Stripe answered with an error (its message is for people).
    #[error("Stripe declined: {0}")]
    Declined(String),
    /// Stripe could not be reached or answered nonsense.
    #[error("Stripe is unreachable: {0}")]
    Unreachable(String),
}

impl From<stripe::StripeError> for StripeFailure {
    fn from(e: stripe::StripeError) -> Self {
        match e {
            stripe::StripeError::Stripe(api, status) => {
                StripeFailure::Declined(api.message.clone().unwrap_or_else(|| format!("status {status}")))
            }
            other => StripeFailure::Unreachable(other.to_string()),
        }
    }
}

/// A PaymentIntent as the buyer's page needs it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Intent {
    /// pi_…
    pub payment_intent_id: String,
    /// For Stripe.js's confirmation on the checkout page.
    pub client_secret: String,
    /// Stripe's status of it.
    pub status: String,
}

/// A refund as Stripe reports it.
#[derive(Debug, Clone)]
pub struct StripeRefund {
    /// re_…
    pub id: String,
    /// pending, succeeded, failed…
    pub status: String,
}

/// The Stripe client of this process.
#[derive(Clone)]
pub struct Stripe {
    client: stripe::Client,
    timeout: std::time::Duration,
}

impl std::fmt::Debug for Stripe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Stripe")
    }
}

fn idempotent(key: &str) -> RequestStrategy {
    RequestStrategy::Idempotent(IdempotencyKey::new(key).expect("our idempotency keys are short and non-empty"))
}

impl Stripe {
    /// The client, when a secret key is configured.
    pub fn from_config(config: &Config) -> anyhow::Result<Option<Stripe>> {
        let Some(key) = &config.stripe_secret_key else { return Ok(None) };
        let mut builder = stripe::ClientBuilder::new(key.expose());
        if let Some(base) = &config.stripe_api_base {
            builder = builder.url(base.trim_end_matches('/'));
        }
        let client = builder.build().map_err(|e| anyhow::anyhow!("the Stripe client cannot be built: {e}"))?;
        let timeout = std::time::Duration::from_millis(config.stripe_timeout_ms.max(1) as u64);
        Ok(Some(Stripe { client, timeout }))
    }

    /// `call`, given up after the configured time-out.
    async fn in_time<T>(&self, call: impl std::future::Future<Output = Result<T, stripe::StripeError>>) -> Result<T, StripeFailure> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(answer) => Ok(answer?),
            Err(_) => Err(StripeFailure::Unreachable(format!("no answer within {} ms", self.timeout.as_millis()))),
        }
    }

    /// Creates (or, for the same order and amount, finds again) the
    /// PaymentIntent paying order `number`.
    pub async fn create_intent(&self, order_id: i64, number: &str, amount: Fen) -> Result<Intent, StripeFailure> {
        let mut options = CreatePaymentIntentPaymentMethodOptions::new();
        let mut wechat = CreatePaymentIntentPaymentMethodOptionsWechatPay::new();
        wechat.client = Some(CreatePaymentIntentPaymentMethodOptionsWechatPayClient::Web);
        options.wechat_pay = Some(wechat);
        let metadata = HashMap::from([("order_id".to_string(), order_id.to_string()), ("order_number".to_string(), number.to_string())]);
        let pi = self
            .in_time(
                CreatePaymentIntent::new(amount.get(), stripe_types::Currency::CNY)
                    .allowed_payment_method_types(vec![Method::Card, Method::Alipay, Method::WechatPay])
                    .payment_method_options(options)
                    .description(format!("Zhunong order {number}"))
                    .metadata(metadata)
                    .customize()
                    .request_strategy(idempotent(&format!("zhunong-pi-{order_id}-{}", amount.get())))
                    .send(&self.client),
            )
            .await?;
        Ok(Intent {
            payment_intent_id: pi.id.as_str().to_string(),
            client_secret: pi.client_secret.unwrap_or_default(),
            status: pi.status.as_str().to_string(),
        })
    }

    /// Refunds `amount` of PaymentIntent `payment_intent`; `key` names this
    /// refund for Stripe's idempotency, so asking again with the same key
    /// (after a lost answer) gets the first answer back and refunds nothing
    /// more — for the 24 hours Stripe keeps keys.
    pub async fn refund(&self, payment_intent: &str, amount: Fen, key: &str) -> Result<StripeRefund, StripeFailure> {
        let refund = self
            .in_time(
                CreateRefund::new()
                    .payment_intent(payment_intent)
                    .amount(amount.get())
                    .reason(CreateRefundReason::RequestedByCustomer)
                    .customize()
                    .request_strategy(idempotent(key))
                    .send(&self.client),
            )
            .await?;
        Ok(StripeRefund { id: refund.id.as_str().to_string(), status: refund.status.unwrap_or_else(|| "pending".into()) })
    }
}

/// A verified webhook event, reduced to what Zhunong acts on.
#[derive(Debug)]
pub struct WebhookEvent {
    /// evt_…, recorded once.
    pub id: String,
    /// e.g. payment_intent.succeeded
    pub kind: String,
    /// What happened.
    pub what: EventKind,
}

/// The events Zhunong acts on.
#[derive(Debug)]
pub enum EventKind {
    /// A PaymentIntent was paid.
    IntentSucceeded {
        /// pi_…
        intent: String,
        /// Received, in fen.
        amount_received: i64,
        /// Lower-case ISO code.
        currency: String,
    },
    /// A payment attempt failed (the buyer may try again).
    IntentFailed {
        /// pi_…
        intent: String,
        /// Stripe's message for the buyer.
        message: String,
    },
    /// A refund changed (its new status).
    RefundChanged {
        /// re_…
        refund: String,
        /// pending, succeeded, failed, canceled…
        status: String,
    },
    /// A charge was refunded (by us or from Stripe's dashboard).
    ChargeRefunded {
        /// The PaymentIntent charged, when known.
        intent: Option<String>,
        /// Refunded so far in total, in fen.
        amount_refunded: i64,
    },
    /// Anything else: recorded, otherwise ignored.
    Other,
}

/// Why a webhook call was refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookRejection {
    /// No webhook secret is configured: nothing can be verified.
    #[error("Stripe webhooks are not configured (set STRIPE_WEBHOOK_SECRET)")]
    NotConfigured,
    /// Missing, malformed, wrong, tampered or stale signature, or a body
    /// that is not a Stripe event.
    #[error("{0}")]
    Invalid(String),
}

/// Verifies `Stripe-Signature` over the raw body (HMAC-SHA256 with the
/// webhook secret, at most 300 s old) and reads the event.
pub fn verify(config: &Config, body: &[u8], signature: Option<&str>) -> Result<WebhookEvent, WebhookRejection> {
    let secret: &Secret = config.stripe_webhook_secret.as_ref().ok_or(WebhookRejection::NotConfigured)?;
    let signature = signature.ok_or_else(|| WebhookRejection::Invalid("the Stripe-Signature header is missing".into()))?;
    let body = std::str::from_utf8(body).map_err(|_| WebhookRejection::Invalid("the body is not UTF-8".into()))?;
    let event = stripe_webhook::Webhook::construct_event(body, signature, secret.expose())
        .map_err(|e| WebhookRejection::Invalid(format!("the signature or event does not verify: {e}")))?;
    use stripe_webhook::EventObject as O;
    let what = match event.data.object {
        O::PaymentIntentSucceeded(pi) => EventKind::IntentSucceeded {
            intent: pi.id.as_str().to_string(),
            amount_received: pi.amount_received,
            currency: pi.currency.to_string(),
        },
        O::PaymentIntentPaymentFailed(pi) => EventKind::IntentFailed {
            intent: pi.id.as_str().to_string(),
            message: pi.last_payment_error.and_then(|e| e.message).unwrap_or_else(|| "the payment failed".into()),
        },
        O::RefundUpdated(r) | O::RefundFailed(r) | O::ChargeRefundUpdated(r) => {
            EventKind::RefundChanged { refund: r.id.as_str().to_string(), status: r.status.unwrap_or_else(|| "pending".into()) }
        }
        O::ChargeRefunded(c) => EventKind::ChargeRefunded {
            intent: c.payment_intent.as_ref().map(|p| p.id().as_str().to_string()),
            amount_refunded: c.amount_refunded,
        },
        _ => EventKind::Other,
    };
    Ok(WebhookEvent { id: event.id.as_str().to_string(), kind: event.type_.as_str().to_string(), what })
}
