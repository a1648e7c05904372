#include "layers/job_pool.hpp"

namespace skiff::layers {

JobPool::JobPool(unsigned threads, size_t max_bytes) : max_bytes_(max_bytes) {
    for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

JobPool::~JobPool() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stopping_ = true;
        queue_.clear();
    }
    work_ready_.notify_all();
    for (auto& t : threads_) t.join();
}

void JobPool::rethrow_failure() {
    if (!failure_) return;
    // Once: the caller is unwinding and must not meet it again.
    std::exception_ptr e = failure_;
    failure_ = nullptr;
    stopping_ = true;
    queue_.clear();
    std::rethrow_exception(e);
}

void JobPool::submit(std::function<void()> job, size_t bytes) {
    {
        std::unique_lock<std::mutex> lock(mu_);
        // An oversized job still goes when the queue is empty.
        room_or_done_.wait(lock, [&] {
            return failure_ || stopping_ || queue_.empty() || queued_bytes_ + bytes <= max_bytes_;
        });
        rethrow_failure();
        if (stopping_) return;  // after a failure nothing more runs
        queue_.push_back({std::move(job), bytes});
        queued_bytes_ += bytes;
    }
    work_ready_.notify_one();
}

void JobPool::drain() {
    std::unique_lock<std::mutex> lock(mu_);
    room_or_done_.wait(lock, [&] { return failure_ || (running_ == 0 && (queue_.empty() || stopping_)); });
    rethrow_failure();
}

void JobPool::work() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
        work_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        Item item = std::move(queue_.front());
        queue_.pop_front();
        ++running_;
        lock.unlock();
        std::exception_ptr failed;
        try {
            item.job();
        } catch (...) {
            failed = std::current_exception();
        }
        lock.lock();
        --running_;
        queued_bytes_ -= item.bytes;
        if (failed && !failure_) failure_ = failed;
        room_or_done_.notify_all();
    }
}

}  // namespace skiff::layers
