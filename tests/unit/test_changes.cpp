#include <catch2/catch.hpp>

#include "image/changes.hpp"
#include "util/error.hpp"

using namespace skiff;

TEST_CASE("--change instructions edit the image config", "[image]") {
    Json c = Json::object();
    image::apply_change(c, R"(CMD ["sh", "-c", "echo hi"])");
    CHECK(c["Cmd"] == Json::array({"sh", "-c", "echo hi"}));
    image::apply_change(c, "CMD echo hi");
    CHECK(c["Cmd"] == Json::array({"/bin/sh", "-c", "echo hi"}));
    image::apply_change(c, "ENTRYPOINT [\"/bin/app\"]");
    CHECK(c["Entrypoint"] == Json::array({"/bin/app"}));
    image::apply_change(c, "ENV A=1 B=\"two words\"");
    image::apply_change(c, "ENV A=3");
    CHECK(c["Env"] == Json::array({"A=3", "B=two words"}));
    image::apply_change(c, "ENV LEGACY some value");
    CHECK(c["Env"].back() == "LEGACY=some value");
    image::apply_change(c, "EXPOSE 80 53/udp");
    CHECK(c["ExposedPorts"].contains("80/tcp"));
    CHECK(c["ExposedPorts"].contains("53/udp"));
    image::apply_change(c, "LABEL com.example=yes");
    CHECK(c["Labels"]["com.example"] == "yes");
    image::apply_change(c, "user www");
    CHECK(c["User"] == "www");
    image::apply_change(c, "WORKDIR /srv");
    CHECK(c["WorkingDir"] == "/srv");
    image::apply_change(c, "VOLUME /data /logs");
    CHECK(c["Volumes"].contains("/data"));
    CHECK(c["Volumes"].contains("/logs"));
    image::apply_change(c, "STOPSIGNAL SIGINT");
    CHECK(c["StopSignal"] == "SIGINT");
}

TEST_CASE("bad --change instructions are refused", "[image]") {
    Json c = Json::object();
    CHECK_THROWS_WITH(image::apply_change(c, "RUN rm -rf /"), Catch::Contains("must be one of"));
    CHECK_THROWS_AS(image::apply_change(c, "ENV"), Error);
    CHECK_THROWS_AS(image::apply_change(c, "LABEL =x"), Error);
    CHECK_THROWS_AS(image::apply_change(c, "WORKDIR"), Error);
}
