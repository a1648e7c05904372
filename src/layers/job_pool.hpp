// A few threads that run jobs handed over by one producer, with a bound on
// the bytes the queued jobs hold. Layer unpacking uses it to create small
// files beside the thread that parses the tar: creating an inode is most of
// the kernel's work in an unpack, and it runs in parallel across
// directories.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace skiff::layers {

class JobPool {
public:
    // `threads` workers; submit() blocks while the queued jobs hold more
    // than `max_bytes` (as the caller counts them).
    JobPool(unsigned threads, size_t max_bytes);
    // Waits for the running jobs; the queued ones are dropped.
    ~JobPool();
    JobPool(const JobPool&) = delete;
    JobPool& operator=(const JobPool&) = delete;

    // Queues a job; rethrows the first failure of an earlier one.
    void submit(std::function<void()> job, size_t bytes);
    // Waits until every submitted job ran; rethrows the first failure.
    void drain();

private:
    struct Item {
        std::function<void()> job;
        size_t bytes;
    };
    void work();
    void rethrow_failure();  // with mu_ held

    std::mutex mu_;
    std::condition_variable work_ready_, room_or_done_;
    std::deque<Item> queue_;
    size_t queued_bytes_ = 0, running_ = 0, max_bytes_;
    bool stopping_ = false;
    std::exception_ptr failure_;
    std::vector<std::thread> threads_;
};

}  // namespace skiff::layers
