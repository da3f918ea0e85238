// The SSRF classifier: every listed range, its edges, and IPv4 carried inside IPv6.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

#include "crawler/private_address.h"

using gc::IsNonPublicAddress;

TEST_CASE("IPv4 private, loopback, link-local, shared, reserved and multicast ranges are non-public") {
  for (const char* ip : {"0.0.0.0", "0.255.255.255", "10.0.0.0", "10.255.255.255", "100.64.0.0", "100.127.255.255",
                         "127.0.0.1", "127.255.255.254", "169.254.169.254", "172.16.0.0", "172.31.255.255",
                         "192.0.0.0", "192.0.0.255", "192.168.0.1", "192.168.255.255", "198.18.0.0",
                         "198.19.255.255", "224.0.0.1", "239.255.255.255", "240.0.0.0", "255.255.255.255"}) {
    CAPTURE(ip);
    CHECK(IsNonPublicAddress(ip));
  }
  for (const char* ip : {"1.0.0.0", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0", "126.255.255.255",
                         "128.0.0.0", "169.253.255.255", "169.255.0.0", "172.15.255.255", "172.32.0.0", "192.0.1.0",
                         "192.167.255.255", "192.169.0.0", "198.17.255.255", "198.20.0.0", "223.255.255.255",
                         "8.8.8.8", "93.184.216.34"}) {
    CAPTURE(ip);
    CHECK_FALSE(IsNonPublicAddress(ip));
  }
}

TEST_CASE("IPv6 unspecified, loopback, unique-local, link-local and multicast are non-public") {
  for (const char* ip : {"::", "::1", "fc00::1", "fdff:ffff::1", "fe80::1", "fe80::1%eth0", "febf::1", "fec0::1",
                         "ff02::1", "ff0e::1", "::127.0.0.1", "::8.8.8.8"}) {
    CAPTURE(ip);
    CHECK(IsNonPublicAddress(ip));
  }
  for (const char* ip : {"2606:4700:4700::1111", "2001:4860:4860::8888", "fbff::1", "fe00::1", "::2:0:0:1"}) {
    CAPTURE(ip);
    CHECK_FALSE(IsNonPublicAddress(ip));
  }
}

TEST_CASE("an IPv4 address inside IPv6 (mapped, NAT64, 6to4) is judged as that IPv4 address") {
  for (const char* ip : {"::ffff:127.0.0.1", "::ffff:10.1.2.3", "::ffff:169.254.169.254", "64:ff9b::10.0.0.1",
                         "64:ff9b::7f00:1", "2002:7f00:1::", "2002:a9fe:a9fe::1", "2002:c0a8:0101::"}) {
    CAPTURE(ip);
    CHECK(IsNonPublicAddress(ip));
  }
  for (const char* ip : {"::ffff:8.8.8.8", "64:ff9b::8.8.8.8", "2002:0808:0808::1"}) {
    CAPTURE(ip);
    CHECK_FALSE(IsNonPublicAddress(ip));
  }
}

TEST_CASE("what is not an address fails closed") {
  for (const char* text :
       {"", "localhost", "127.1", "2130706433", "0x7f000001", "1.2.3", "::ffff:1.2.3.4.5", "[::1]"}) {
    CAPTURE(text);
    CHECK(IsNonPublicAddress(text));
  }
  CHECK(IsNonPublicAddress(nullptr, 0));
}

TEST_CASE("sockaddr forms agree with the text forms") {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  inet_pton(AF_INET, "169.254.169.254", &in.sin_addr);
  CHECK(IsNonPublicAddress(reinterpret_cast<sockaddr*>(&in), sizeof in));
  inet_pton(AF_INET, "93.184.216.34", &in.sin_addr);
  CHECK_FALSE(IsNonPublicAddress(reinterpret_cast<sockaddr*>(&in), sizeof in));
  CHECK(IsNonPublicAddress(reinterpret_cast<sockaddr*>(&in), sizeof in - 1));  // truncated: fails closed
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "::ffff:192.168.1.1", &in6.sin6_addr);
  CHECK(IsNonPublicAddress(reinterpret_cast<sockaddr*>(&in6), sizeof in6));
  inet_pton(AF_INET6, "2606:4700:4700::1111", &in6.sin6_addr);
  CHECK_FALSE(IsNonPublicAddress(reinterpret_cast<sockaddr*>(&in6), sizeof in6));
}
