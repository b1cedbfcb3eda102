// vlan.c - tc (clsact) eBPF programs that put 802.1Q tags on the wire.
// This kernel has no 802.1Q devices, so the lab tags frames itself:
// "tc_push" on egress adds VLAN 100 with priority 5 (the usual voice VLAN
// marking), "tc_pop" on ingress removes the tag before the stack sees it.
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

__attribute__((section("tc_pop"), used)) int vlan_pop(struct __sk_buff *skb)
{
    skb_vlan_pop(skb);
    return TC_ACT_OK;
}

char _license[] __attribute__((section("license"), used)) = "GPL";
