// Package calibrate fits rows of a language model's output head in closed
// form, so that their logits on given hidden states reproduce target
// logits, without moving the logits elsewhere.
//
// A transplant gives new tokens head rows made from old ones (a mean, the
// pieces, neighbours); the base model itself knows better what logit a new
// token deserves where it occurs: the logit of its first old piece plus
// the log-probabilities of the rest. A Fitter moves a prior row towards
// those targets by ridge regression, anchored on contexts where the row's
// logit must stay what the prior gives (contexts where the token does not
// occur: raising it there steals probability from every other token).
package calibrate
