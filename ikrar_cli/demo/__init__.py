"""The throwaway demo office used by 'ikrar demo'."""
