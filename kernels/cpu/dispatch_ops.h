#pragma once
// The dispatch plan's indices: where each kept (token, choice) assignment goes in
// the send buffer, and the order the experts read received rows in. Send rows are
// ordered slot-major, then token, then choice, so each slot's (and so each EP
// peer's) rows are contiguous and in token order.
#include <cstdint>

namespace paramoe::cpu {

// expert, kept: [tokens, k]; slot_of: [num_slots] expert → slot.
// counts[s]: rows of slot s. send_pos[a]: row of assignment a, −1 if not kept.
// send_token[row]: the token of that row (Σ counts entries).
void dispatch_positions(const int32_t* expert, const uint8_t* kept, int64_t tokens, int k,
                        const int32_t* slot_of, int num_slots, int64_t* counts, int32_t* send_pos,
                        int32_t* send_token);

// The order the experts read received rows in. counts [blocks, peers, local_experts]
// are the rows of the layout's blocks in that (block-major) order; sorted_from[i]
// is the layout row of expert-sorted row i (expert-major, then block, then peer,
// then row).
void layout_order(const int32_t* counts, int blocks, int peers, int local_experts,
                  int32_t* sorted_from);

}  // namespace paramoe::cpu
