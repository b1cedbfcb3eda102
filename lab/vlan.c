// vlan.c - tc (clsact) eBPF programs that put 802.1Q tags on the wire.
// This kernel has no 802.1Q devices, so the lab tags frames itself:
// "tc_push" on egress adds VLAN 100 with priority 5 (the usual voice VLAN
// marking), "tc_pop" on ingress removes the tag before the stack sees it.
// "tc_push_ph1" tags only frames to phone 1 (00:00:5e:00:53:01), so the
// gateway can serve one tagged and other untagged phones on the same port.
// Build: clang -O2 -target bpf -c vlan.c -o vlan.o
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#define VOICE_VID 100
#define VOICE_PCP 5

static long (*skb_vlan_push)(struct __sk_buff *skb, __be16 proto, __u16 tci) =
    (void *)BPF_FUNC_skb_vlan_push;
static long (*skb_vlan_pop)(struct __sk_buff *skb) = (void *)BPF_FUNC_skb_vlan_pop;

__attribute__((section("tc_push"), used)) int vlan_push(struct __sk_buff *skb)
{
    skb_vlan_push(skb, __builtin_bswap16(0x8100), (VOICE_PCP << 13) | VOICE_VID);
    return TC_ACT_OK;
}

__attribute__((section("tc_push_ph1"), used)) int vlan_push_ph1(struct __sk_buff *skb)
{
    static const unsigned char ph1[6] = {0x00, 0x00, 0x5e, 0x00, 0x53, 0x01};
    unsigned char *dst = (unsigned char *)(long)skb->data;
    unsigned char *end = (unsigned char *)(long)skb->data_end;
    int i;

    if (dst + 6 > end)
        return TC_ACT_OK;
    for (i = 0; i < 6; i++)
        if (dst[i] != ph1[i])
            return TC_ACT_OK;
    skb_vlan_push(skb, __builtin_bswap16(0x8100), (VOICE_PCP << 13) | VOICE_VID);
    return TC_ACT_OK;
}

__attribute__((section("tc_pop"), used)) int vlan_pop(struct __sk_buff *skb)
{
    skb_vlan_pop(skb);
    return TC_ACT_OK;
}

char _license[] __attribute__((section("license"), used)) = "GPL";
