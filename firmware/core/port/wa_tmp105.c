/* wa_tmp105.c - see wa_tmp105.h. */
#include "wa_tmp105.h"

void wa_tmp105_init(wa_tmp105_t *t, int32_t millideg)
{
    t->millideg = millideg;
    t->pointer = 0;
    t->config = 0;
    t->t_low = 75u << 8;
    t->t_high = 80u << 8;
}

/* The temperature register: 1/256 degC, cut to the configured resolution. */
static uint16_t temperature(const wa_tmp105_t *t)
{
    int32_t value = (int32_t)((int64_t)t->millideg * 256 / 1000);
    value = value > INT16_MAX ? INT16_MAX : value < INT16_MIN ? INT16_MIN : value;
    unsigned bits = 9u + ((t->config >> 5) & 3u); /* 9 to 12 */
    return (uint16_t)((uint16_t)value & (uint16_t)(0xFFFFu << (16u - bits)));
}

static uint16_t reg(const wa_tmp105_t *t)
{
    switch (t->pointer & 3u) {
    case 0: return temperature(t);
    case 1: return (uint16_t)(t->config & 0x7Fu) << 8; /* OS reads 0 while converting */
    case 2: return t->t_low;
    default: return t->t_high;
    }
}

int wa_tmp105_transfer(wa_tmp105_t *t, const uint8_t *wr, size_t wr_len, uint8_t *rd, size_t rd_len)
{
    if (wr_len > 0) {
        t->pointer = wr[0] & 3u;
    }
    if (wr_len > 1 && t->pointer == 1u) {
        t->config = wr[1];
    } else if (wr_len > 2 && t->pointer >= 2u) {
        uint16_t value = (uint16_t)(wr[1] << 8 | (wr[2] & 0xF0u));
        *(t->pointer == 2u ? &t->t_low : &t->t_high) = value;
    }
    uint16_t value = reg(t);
    size_t width = t->pointer == 1u ? 1u : 2u;
    for (size_t i = 0; i < rd_len; i++) {
        rd[i] = (uint8_t)(value >> (i % width == 0 ? 8 : 0));
    }
    return 0;
}
