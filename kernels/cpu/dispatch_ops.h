#pragma once
// The dispatch plan's hot part: where each kept (token, choice) assignment goes in
// the send buffer. Rows are ordered slot-major, then token, then choice, so each
// slot's (and so each EP peer's) rows are contiguous and in token order.
#include <cstdint>

namespace paramoe::cpu {

// expert, kept: [tokens, k]; slot_of: [num_slots] expert → slot.
// counts[s]: rows of slot s. send_pos[a]: row of assignment a, −1 if not kept.
// send_token[row]: the token of that row (Σ counts entries).
void dispatch_positions(const int32_t* expert, const uint8_t* kept, int64_t tokens, int k,
                        const int32_t* slot_of, int num_slots, int64_t* counts, int32_t* send_pos,
                        int32_t* send_token);

}  // namespace paramoe::cpu
