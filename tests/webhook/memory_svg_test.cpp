// `memory --output svg|html`: the diagram is rendered by a real SVG renderer (rsvg-convert, from
// scripts/install-deps.sh) to a PNG of the size the SVG declares, rejected roles are drawn as such,
// and hostile text cannot break out of the markup.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "tests/webhook/cli_test_support.h"
#include "webhook/cli/memory_svg.h"

namespace {

using memguard::testing::run_cli;

struct PngSize {
  uint32_t width = 0;
  uint32_t height = 0;
};

uint32_t big_endian(const std::string& s, size_t at) {
  return (uint32_t(uint8_t(s[at])) << 24) | (uint32_t(uint8_t(s[at + 1])) << 16) | (uint32_t(uint8_t(s[at + 2])) << 8) |
         uint32_t(uint8_t(s[at + 3]));
}

// Renders `svg` with rsvg-convert and reads the PNG's IHDR chunk.
PngSize render_png(const std::string& name, const std::string& svg) {
  const std::string svg_path = memguard::testing::temp_file("svg-test", name + ".svg", svg);
  const std::string png_path = svg_path.substr(0, svg_path.size() - 4) + ".png";
  const std::string command = "rsvg-convert '" + svg_path + "' -o '" + png_path + "' 2>&1";
  REQUIRE(std::system(command.c_str()) == 0);
  std::ifstream in(png_path, std::ios::binary);
  const std::string png((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(png.size() > 24);
  REQUIRE(png.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  REQUIRE(png.compare(12, 4, "IHDR") == 0);
  return PngSize{big_endian(png, 16), big_endian(png, 20)};
}

}  // namespace

TEST_CASE("memory --output svg renders with rsvg-convert to a PNG of the declared size", "[webhook][cli][memory][svg]") {
  const auto run = run_cli("memory -D taskmanager.memory.process.size=4g -D jobmanager.memory.process.size=2g --output svg");
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.out, !Catch::Contains("<script"));
  CHECK_THAT(run.out, !Catch::Contains("href"));  // self-contained: no external file or link
  CHECK_THAT(run.out, Catch::Contains("-XX:MaxDirectMemorySize"));
  CHECK_THAT(run.out, Catch::Contains("-XX:MaxMetaspaceSize"));
  CHECK_THAT(run.out, Catch::Contains("container limit 4 GiB"));
  CHECK_THAT(run.out, Catch::Contains("Total Process Memory: 4 GiB (configured)"));
  const PngSize size = render_png("both", run.out);
  CHECK(size.width == uint32_t(memguard::cli::svg_width(2)));
  CHECK(size.height == uint32_t(memguard::cli::kSvgHeight));

  const auto one = run_cli("memory -D taskmanager.memory.process.size=4g --role taskmanager --output svg");
  REQUIRE(one.exit_code == 0);
  CHECK(render_png("one", one.out).width == uint32_t(memguard::cli::svg_width(1)));
}

TEST_CASE("memory --output svg draws a rejected configuration with Flink's reason", "[webhook][cli][memory][svg]") {
  const auto run = run_cli("memory -D taskmanager.memory.process.size=400m --role taskmanager --output svg");
  CHECK(run.exit_code == 1);  // the exit code still says Flink would refuse to start
  CHECK_THAT(run.out, Catch::Contains("REJECTED"));
  CHECK_THAT(run.out, Catch::Contains("taskmanager.memory.process.size"));
  CHECK(render_png("rejected", run.out).height == uint32_t(memguard::cli::kSvgHeight));
}

TEST_CASE("memory --output svg leaves the JobManager's off-heap unbounded without its direct-memory limit", "[webhook][cli][memory][svg]") {
  const auto plain = run_cli("memory -D jobmanager.memory.process.size=2g --role jobmanager --output svg");
  REQUIRE(plain.exit_code == 0);
  CHECK_THAT(plain.out, !Catch::Contains("-XX:MaxDirectMemorySize"));
  const auto limited = run_cli(
      "memory -D jobmanager.memory.process.size=2g -D jobmanager.memory.enable-jvm-direct-memory-limit=true "
      "--role jobmanager --output svg");
  REQUIRE(limited.exit_code == 0);
  CHECK_THAT(limited.out, Catch::Contains("-XX:MaxDirectMemorySize"));
}

TEST_CASE("memory --output html holds the diagram and the table in one page", "[webhook][cli][memory][svg]") {
  const auto run = run_cli("memory -D taskmanager.memory.process.size=4g --role taskmanager --output html");
  REQUIRE(run.exit_code == 0);
  CHECK(run.out.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK_THAT(run.out, Catch::Contains("<svg"));
  CHECK_THAT(run.out, Catch::Contains("<table"));
  CHECK_THAT(run.out, !Catch::Contains("<script"));
  CHECK_THAT(run.out, !Catch::Contains("src="));
}

TEST_CASE("xml_text escapes markup and replaces bytes XML cannot hold", "[webhook][cli][memory][svg]") {
  using memguard::cli::xml_text;
  CHECK(xml_text("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&apos;");
  CHECK(xml_text(std::string("a\x01\xff", 3)) == "a??");
  CHECK(xml_text(std::string(1000, 'x'), 10).size() <= 13);  // cut, with at most an ellipsis
}

TEST_CASE("memory --output json gives the totals' provenance, the JVM flags and the JobManager's direct-memory limit", "[webhook][cli][memory][svg]") {
  const auto run = run_cli(
      "memory -D taskmanager.memory.flink.size=2g -D jobmanager.memory.process.size=2g "
      "-D jobmanager.memory.enable-jvm-direct-memory-limit=true --output json");
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.out,
             Catch::Contains("\"flinkTotal\":{\"provenance\":\"configured\",\"key\":\"taskmanager.memory.flink.size\"}"));
  CHECK_THAT(run.out,
             Catch::Contains("\"processTotal\":{\"provenance\":\"derived\",\"key\":\"taskmanager.memory.process.size\"}"));
  CHECK_THAT(run.out,
             Catch::Contains("\"processTotal\":{\"provenance\":\"configured\",\"key\":\"jobmanager.memory.process.size\"}"));
  CHECK_THAT(run.out, Catch::Contains("\"jvmDirectMemoryLimit\":true"));
  CHECK_THAT(run.out, Catch::Contains("{\"flag\":\"-XX:MaxDirectMemorySize\",\"bytes\":"));
}
