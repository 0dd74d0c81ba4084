// The one function the server (and the `review` command) calls: body in, HTTP answer out.
// decode -> decide -> encode; never throws.
#pragma once

#include <string_view>

#include "webhook/admission/review_outcome.h"
#include "webhook/engine/counterparts.h"
#include "webhook/engine/policy.h"

namespace memguard::engine {

// 200 with an AdmissionReview for every review we could read (allowed, denied, patched, or an
// in-band error with the uid); 400 with a plain-text reason for bodies that are not an
// AdmissionReview v1; an unexpected failure becomes an in-band 500 with the uid when known.
admission::ReviewOutcome handle_review(admission::Mode mode, admission::ReviewBody body, const Policy& policy) noexcept;
// The same with standalone lookups (decide's counterparts; nullptr: none).
admission::ReviewOutcome handle_review(admission::Mode mode, admission::ReviewBody body, const Policy& policy,
                                       const Counterparts* counterparts) noexcept;

}  // namespace memguard::engine
