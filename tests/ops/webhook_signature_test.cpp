#include "ops/webhook_signature.hpp"

#include <gtest/gtest.h>

#include "webhook_signing.hpp"

using namespace tasksync;

namespace {

const std::string kSecret = "whsec_test_0123456789";
const std::string kBody = R"({"id":"evt_1","type":"task.healed","data":{"task_id":"x"}})";
constexpr long long kNow = 1795185067;

std::string valid_v1(long long t = kNow, const std::string &body = kBody) {
  return test::hex(*anchor_signature_mac(kSecret, std::to_string(t), body));
}

} // namespace

// The value `openssl dgst -sha256 -hmac` (and Python's hmac) gives for the same text.
TEST(WebhookSignature, IsHmacSha256OverVersionTimestampAndBody) {
  const auto mac = anchor_signature_mac(kSecret, std::to_string(kNow), kBody);
  ASSERT_TRUE(mac);
  EXPECT_EQ(test::hex(*mac), "3db6a6e98da53ba34dd83525f9492697eb80814c109f431e52b448a00e5b83fc")
      << "printf '%s' 'v0:1795185067:<body>' | openssl dgst -sha256 -hmac whsec_test_0123456789";
}

TEST(WebhookSignature, ParsesTimestampAndEveryWellFormedV1) {
  const auto parsed = parse_anchor_signature("t=" + std::to_string(kNow) + ", v1=" + valid_v1() +
                                             ",v0=abc,v1=" + std::string(64, 'A') + ",v2=whatever");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->timestamp, kNow);
  EXPECT_EQ(parsed->timestamp_text, std::to_string(kNow));
  EXPECT_EQ(parsed->candidates.size(), 2u);
}

TEST(WebhookSignature, MalformedHeadersAreRefusedAsSuch) {
  const std::string v1 = valid_v1();
  for (const std::string &header : {
           std::string(""),
           "v1=" + v1,                                                      // missing t
           "t=,v1=" + v1,                                                   // empty t
           "t=abc,v1=" + v1,                                                // non-numeric t
           "t=-5,v1=" + v1,                                                 // negative t
           "t=+5,v1=" + v1,                                                 // signed t
           "t=1.5,v1=" + v1,                                                // fractional t
           "t=" + std::string(40, '9') + ",v1=" + v1,                       // huge t
           "t=99999999999999999999,v1=" + v1,                               // beyond 64 bits
           "t=1,t=2,v1=" + v1,                                              // t twice
           "t=" + std::to_string(kNow),                                     // no v1
           "t=" + std::to_string(kNow) + ",v1=",                            // empty v1
           "t=" + std::to_string(kNow) + ",v1=" + v1.substr(1),             // odd hex
           "t=" + std::to_string(kNow) + ",v1=" + v1.substr(2),             // too short
           "t=" + std::to_string(kNow) + ",v1=" + v1 + "00",                // too long
           "t=" + std::to_string(kNow) + ",v1=" + std::string(64, 'g'),     // not hex
           "t=" + std::to_string(kNow) + ",v1=" + std::string(100000, 'a'), // huge v1
           std::string("garbage"),
       }) {
    EXPECT_FALSE(parse_anchor_signature(header)) << header.substr(0, 120);
    WebhookSignatureCheck check({kSecret});
    const auto verified = check.verify(header, kBody, kNow);
    ASSERT_FALSE(verified) << header.substr(0, 120);
    EXPECT_EQ(verified.error(), SignatureProblem::malformed_header) << header.substr(0, 120);
  }
}

TEST(WebhookSignature, AcceptsTheRightSignatureAmongSeveral) {
  WebhookSignatureCheck check({kSecret});
  const std::string wrong(64, '0');
  EXPECT_TRUE(check.verify("t=" + std::to_string(kNow) + ",v1=" + wrong + ",v1=" + valid_v1(), kBody, kNow));
  // Upper-case hex is the same signature.
  std::string upper = valid_v1(kNow + 1);
  for (char &c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(check.verify("t=" + std::to_string(kNow + 1) + ",v1=" + upper, kBody, kNow));
}

TEST(WebhookSignature, RefusesAMissingHeaderAWrongSecretAndAnAlteredBody) {
  WebhookSignatureCheck check({kSecret});
  EXPECT_EQ(check.verify(std::nullopt, kBody, kNow).error(), SignatureProblem::missing_header);
  const std::string t = std::to_string(kNow);
  const std::string other = test::hex(*anchor_signature_mac("another secret", t, kBody));
  EXPECT_EQ(check.verify("t=" + t + ",v1=" + other, kBody, kNow).error(), SignatureProblem::bad_signature);
  EXPECT_EQ(check.verify("t=" + t + ",v1=" + valid_v1(), kBody + " ", kNow).error(), SignatureProblem::bad_signature);
  // The timestamp is signed: the same v1 under another t is a bad signature, not a fresh one.
  EXPECT_EQ(check.verify("t=" + std::to_string(kNow + 1) + ",v1=" + valid_v1(), kBody, kNow).error(),
            SignatureProblem::bad_signature);
}

TEST(WebhookSignature, RefusesTimestampsMoreThanTwoMinutesAwayEitherWay) {
  WebhookSignatureCheck check({kSecret});
  const auto header = [](long long t) { return "t=" + std::to_string(t) + ",v1=" + valid_v1(t); };
  EXPECT_EQ(check.verify(header(kNow - 121), kBody, kNow).error(), SignatureProblem::stale_timestamp);
  EXPECT_EQ(check.verify(header(kNow + 121), kBody, kNow).error(), SignatureProblem::stale_timestamp);
  EXPECT_EQ(check.verify(header(0), kBody, kNow).error(), SignatureProblem::stale_timestamp);
  EXPECT_EQ(check.verify(header(999999999999), kBody, kNow).error(), SignatureProblem::stale_timestamp);
  EXPECT_TRUE(check.verify(header(kNow - 120), kBody, kNow));
  EXPECT_TRUE(check.verify(header(kNow + 120), kBody, kNow));
}

TEST(WebhookSignature, TheSameDeliveryTwiceIsAReplayUntilItsTimestampLeavesTheWindow) {
  WebhookSignatureCheck check({kSecret});
  const std::string header = "t=" + std::to_string(kNow) + ",v1=" + valid_v1();
  EXPECT_TRUE(check.verify(header, kBody, kNow));
  EXPECT_EQ(check.verify(header, kBody, kNow).error(), SignatureProblem::replay);
  EXPECT_EQ(check.verify(header, kBody, kNow + 120).error(), SignatureProblem::replay);
  EXPECT_EQ(check.verify(header, kBody, kNow + 121).error(), SignatureProblem::stale_timestamp);
  // Another delivery of the same event (a new timestamp) is not a replay.
  EXPECT_TRUE(check.verify("t=" + std::to_string(kNow + 1) + ",v1=" + valid_v1(kNow + 1), kBody, kNow));
}

TEST(WebhookSignature, RemembersABoundedNumberOfSignatures) {
  WebhookSignatureCheck check({kSecret});
  for (std::size_t i = 0; i < WebhookSignatureCheck::kMaxRemembered + 10; ++i) {
    const std::string body = std::to_string(i);
    ASSERT_TRUE(check.verify("t=" + std::to_string(kNow) + ",v1=" + valid_v1(kNow, body), body, kNow)) << i;
  }
  // The newest are still remembered.
  const std::string last = std::to_string(WebhookSignatureCheck::kMaxRemembered + 9);
  EXPECT_EQ(check.verify("t=" + std::to_string(kNow) + ",v1=" + valid_v1(kNow, last), last, kNow).error(),
            SignatureProblem::replay);
}

TEST(WebhookSignature, ANewSecretReplacesTheOld) {
  WebhookSignatureCheck check({"old secret"});
  check.set_secrets({kSecret});
  EXPECT_TRUE(check.verify("t=" + std::to_string(kNow) + ",v1=" + valid_v1(), kBody, kNow));
  const std::string t = std::to_string(kNow + 1);
  EXPECT_EQ(
      check.verify("t=" + t + ",v1=" + test::hex(*anchor_signature_mac("old secret", t, kBody)), kBody, kNow).error(),
      SignatureProblem::bad_signature);
}

// While the webhook's secret is rotated the platform may sign with the new secret, the old one,
// or both (two v1=): each is accepted, and a third secret is not.
TEST(WebhookSignature, AcceptsADeliverySignedWithEitherOfTwoSecrets) {
  WebhookSignatureCheck check({"whsec_new", kSecret});
  const auto v1 = [](const std::string &secret, long long t) {
    return test::hex(*anchor_signature_mac(secret, std::to_string(t), kBody));
  };
  const auto header = [](long long t, const std::string &v1s) { return "t=" + std::to_string(t) + v1s; };
  EXPECT_TRUE(check.verify(header(kNow, ",v1=" + v1("whsec_new", kNow)), kBody, kNow));
  EXPECT_TRUE(check.verify(header(kNow + 1, ",v1=" + v1(kSecret, kNow + 1)), kBody, kNow));
  EXPECT_TRUE(
      check.verify(header(kNow + 2, ",v1=" + v1("whsec_new", kNow + 2) + ",v1=" + v1(kSecret, kNow + 2)), kBody, kNow));
  EXPECT_TRUE(check.verify(header(kNow + 3, ",v1=" + v1("whsec_other", kNow + 3) + ",v1=" + v1(kSecret, kNow + 3)),
                           kBody, kNow));
  EXPECT_EQ(check.verify(header(kNow + 4, ",v1=" + v1("whsec_other", kNow + 4)), kBody, kNow).error(),
            SignatureProblem::bad_signature);
}

// A delivery signed with both secrets, delivered again with only one of its v1=, or after the
// old secret was dropped, is still the same delivery.
TEST(WebhookSignature, ADeliverySignedWithBothSecretsIsAReplayUnderEitherOfThem) {
  WebhookSignatureCheck check({"whsec_new", kSecret});
  const std::string t = std::to_string(kNow);
  const std::string signed_new = "v1=" + test::hex(*anchor_signature_mac("whsec_new", t, kBody));
  const std::string signed_old = "v1=" + valid_v1();
  EXPECT_TRUE(check.verify("t=" + t + "," + signed_new + "," + signed_old, kBody, kNow));
  EXPECT_EQ(check.verify("t=" + t + "," + signed_old, kBody, kNow).error(), SignatureProblem::replay);
  check.set_secrets({"whsec_new"});
  EXPECT_EQ(check.verify("t=" + t + "," + signed_new, kBody, kNow).error(), SignatureProblem::replay);
  EXPECT_EQ(check.verify("t=" + t + "," + signed_old, kBody, kNow).error(), SignatureProblem::bad_signature);
}
