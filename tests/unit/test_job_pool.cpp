#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>

#include "layers/job_pool.hpp"

using skiff::layers::JobPool;

TEST_CASE("job pool: drain waits for every job", "[layers]") {
    std::atomic<int> done{0};
    JobPool pool(2, 1 << 20);
    for (int i = 0; i < 1000; ++i) pool.submit([&] { ++done; }, 100);
    pool.drain();
    CHECK(done == 1000);
    pool.submit([&] { ++done; }, 100);
    pool.drain();
    CHECK(done == 1001);
}

TEST_CASE("job pool: a job larger than the bound still runs", "[layers]") {
    std::atomic<int> done{0};
    JobPool pool(1, 10);
    pool.submit([&] { ++done; }, 1000);
    pool.submit([&] { ++done; }, 1000);
    pool.drain();
    CHECK(done == 2);
}

TEST_CASE("job pool: the first failure reaches the producer once", "[layers]") {
    JobPool pool(2, 1 << 20);
    pool.submit([] { throw std::runtime_error("first"); }, 1);
    CHECK_THROWS_WITH(pool.drain(), "first");
    // The pool stopped: nothing more runs, and the failure is not repeated.
    std::atomic<int> ran{0};
    pool.submit([&] { ++ran; }, 1);
    CHECK_NOTHROW(pool.drain());
    CHECK(ran == 0);
}
